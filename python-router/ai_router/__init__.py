"""The AI router: an intent classifier in front of a catalogue of agents, served over HTTP.

Run it with ``python3 -m ai_router`` (see ``ai_router.cli``). Importing the package starts nothing.
"""

__version__ = "0.1.0"
