"""Fails unless every `// --- README snippet ---` block of examples/consumer's tests is a ```java block
of README.md, line for line (indentation aside): what the README shows is what CI runs."""
import re
import sys


def lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


readme = sys.argv[1]
blocks = [lines(b) for b in re.findall(r"```java\n(.*?)```", open(readme, encoding="utf-8").read(), re.S)]
checked = 0
for path in sys.argv[2:]:
    source = open(path, encoding="utf-8").read()
    for snippet in re.findall(r"// --- README snippet ---\n(.*?)\n\s*// --- end of snippet ---", source, re.S):
        if lines(snippet) not in blocks:
            sys.exit("readme-snippets: the snippet in %s is not in %s as it is" % (path, readme))
        checked += 1
if checked < 3:
    sys.exit("readme-snippets: expected 3 snippets in examples/consumer, found %d" % checked)
print("%d snippets of examples/consumer match README.md" % checked)
