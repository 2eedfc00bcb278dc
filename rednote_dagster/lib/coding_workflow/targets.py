"""What each scheme's coders code, and where their codes go: derived from ``lib/coding.CODED_TABLES`` (the
coding file and its id column) and the documents the labelling backends read (the context fields), so a new
scheme there is a new coding target here without code."""

from __future__ import annotations

from dataclasses import dataclass

from rednote_dagster.lib.coding import CODED_TABLES
from rednote_dagster.lib.coding_workflow.sample import SampleSize
from rednote_dagster.lib.labelling.documents import comment_document, note_document
from rednote_dagster.lib.labelling.scheme import LabelScheme

# The context a coder reads is what the LLM backend reads (Document.fields): a note's title, description
# and top-10 comments; a comment and the title of the note it answers.
ENTITY_FIELDS: dict[str, tuple[str, ...]] = {
    "note": tuple(note_document(None, None, None).fields),
    "comment": tuple(comment_document(None, None).fields),
}
FIELD_HEADERS: dict[str, str] = {
    "title": "post title",
    "description": "post text",
    "comments": "top 10 comments, most liked first",
    "comment": "comment",
}
# Feng et al. §4.2 code 20 % of posts; the comment schemes default to the 3,000 comments the bundled corpus's
# simulated coders coded (a count, so it does not grow with the crawl).
DEFAULT_SIZES: dict[str, SampleSize] = {"taxonomy": SampleSize(share=0.2)}
DEFAULT_SIZE = SampleSize(count=3000)


@dataclass(frozen=True)
class CodingTarget:
    """One scheme's manual coding: which entities are coded, the coding file and its id column."""

    scheme: LabelScheme
    entities: tuple[str, ...]  # note, comment (sentiment: both)
    coding_file: str  # in $REDNOTE_DATA_DIR/manual/
    coding_id: str  # the file's id column; "id" means the file has an entity column too

    @property
    def name(self) -> str:
        return self.scheme.name

    @property
    def entity_column(self) -> bool:
        """Whether the coding file says each row's entity (a file coding notes and comments)."""
        return self.coding_id == "id"

    @property
    def adjudication_file(self) -> str:
        return f"{self.name}_adjudication.csv"

    @property
    def fields(self) -> tuple[str, ...]:
        """The context fields of every entity coded, in order, each once."""
        return tuple(dict.fromkeys(f for entity in self.entities for f in ENTITY_FIELDS[entity]))

    @property
    def default_size(self) -> SampleSize:
        return DEFAULT_SIZES.get(self.name, DEFAULT_SIZE)


def _targets() -> dict[str, CodingTarget]:
    targets: dict[str, CodingTarget] = {}
    for coded in CODED_TABLES:
        known = targets.get(coded.scheme.name)
        entities = (known.entities if known else ()) + (coded.entity,)
        targets[coded.scheme.name] = CodingTarget(coded.scheme, entities, coded.coding_file, coded.coding_id)
    return targets


TARGETS: dict[str, CodingTarget] = _targets()


def coding_target(name: str) -> CodingTarget:
    try:
        return TARGETS[name]
    except KeyError:
        raise ValueError(f"no manual coding for scheme {name!r}; schemes: {', '.join(TARGETS)}") from None
