"""PolicyText values for tests, written as tiny Markdown-like texts."""

from watcher.models import Block, BlockKind, PolicyText


def policy(text: str) -> PolicyText:
    """A PolicyText from a tiny Markdown-like text: "# Heading", "- item", blank lines between paragraphs."""
    blocks = []
    for chunk in text.strip().split("\n\n"):
        for line in chunk.strip().splitlines() if chunk.lstrip().startswith(("#", "-")) else [chunk]:
            line = " ".join(line.split())
            if line.startswith("#"):
                level = len(line) - len(line.lstrip("#"))
                blocks.append(Block(BlockKind.HEADING, line.lstrip("#").strip(), level))
            elif line.startswith("- "):
                blocks.append(Block(BlockKind.ITEM, line[2:]))
            else:
                blocks.append(Block(BlockKind.PARAGRAPH, line))
    return PolicyText(tuple(blocks))
