"""Held-out queries for the classifier: written separately, none of them is a training example.

Each pair is (query, the agent that should answer it after the threshold and arithmetic shortcut).
Gibberish and off-topic chatter are expected to fall back to general-chat.
"""

HELD_OUT = (
    # general-chat
    ("hello!", "general-chat"),
    ("hi, good afternoon", "general-chat"),
    ("thanks, that was helpful", "general-chat"),
    ("how are you doing today?", "general-chat"),
    ("see you tomorrow, bye", "general-chat"),
    ("what should I call you?", "general-chat"),
    ("qwerty zxcv plop", "general-chat"),
    ("tell me something funny", "general-chat"),
    # conversation-recall
    ("what did I say just now?", "conversation-recall"),
    ("what was the very first thing I said?", "conversation-recall"),
    ("can you remind me of my previous message?", "conversation-recall"),
    ("what did you tell me a minute ago?", "conversation-recall"),
    ("what have I asked you so far?", "conversation-recall"),
    ("repeat what I just said please", "conversation-recall"),
    ("what was my third question?", "conversation-recall"),
    # calculator
    ("what's 250 divided by 5?", "calculator"),
    ("7 × 6", "calculator"),
    ("how much is 3.5 plus 1.25", "calculator"),
    ("calculate 2^8", "calculator"),
    ("what is 12% of 50", "calculator"),
    ("(4 + 6) / 2", "calculator"),
    ("what is 100 mod 7", "calculator"),
    ("multiply 12 by 12", "calculator"),
    # datetime
    ("what's the time?", "datetime"),
    ("which day is today?", "datetime"),
    ("tell me the current date", "datetime"),
    ("is today friday?", "datetime"),
    ("what time is it in UTC right now?", "datetime"),
    ("what month are we in?", "datetime"),
    # help
    ("what can this bot do?", "help"),
    ("help please", "help"),
    ("show me what you are capable of", "help"),
    ("which commands do you support?", "help"),
    ("how do I use this router?", "help"),
    ("list the available agents", "help"),
    # information-retrieval
    ("who painted the Mona Lisa?", "information-retrieval"),
    ("what is the boiling point of water?", "information-retrieval"),
    ("tell me about the french revolution", "information-retrieval"),
    ("explain what a black hole is", "information-retrieval"),
    ("when was the first moon landing?", "information-retrieval"),
    ("what is the largest ocean on earth?", "information-retrieval"),
    # problem-solving
    ("my program throws a segmentation fault, how do I debug it?", "problem-solving"),
    ("how can I fix a memory leak in my service?", "problem-solving"),
    ("why does my docker build keep failing?", "problem-solving"),
    ("what is the best way to handle this race condition?", "problem-solving"),
    ("my website is slow, how can I speed it up?", "problem-solving"),
    ("help me figure out why the login is broken", "problem-solving"),
    # report-generation
    ("write a quarterly report for the finance team", "report-generation"),
    ("draft a status report on the migration project", "report-generation"),
    ("create a summary report of last month's support tickets", "report-generation"),
    ("prepare an incident postmortem document", "report-generation"),
    ("generate a sales report for Q3", "report-generation"),
    # automation
    ("schedule a script to run every morning at 8", "automation"),
    ("automate the weekly database backup", "automation"),
    ("set up a job that emails me the logs every day", "automation"),
    ("create a workflow to deploy on every merge", "automation"),
    ("write a script that cleans up old files automatically", "automation"),
)
