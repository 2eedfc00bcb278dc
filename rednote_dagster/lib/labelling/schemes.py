"""The schemes the pipeline labels with: sentiment and taxonomy (Feng et al.), emotion and stance
(Li et al.). Adding a scheme means adding data here; every backend takes any scheme."""

from rednote_dagster.lib.labelling.scheme import Label, LabelScheme
from rednote_dagster.lib.taxonomy import CATEGORIES, TOPICS

# Feng et al. §4.1: five levels from the multilingual sentiment model, Very Negative … Very Positive → −2 … 2.
SENTIMENT = LabelScheme(
    name="sentiment",
    version="1",
    ordinal=True,
    labels=(
        Label("-2", "Very Negative", "strong anger, disgust, despair or hostility", -2.0),
        Label("-1", "Negative", "mild disappointment, sadness, annoyance or complaint", -1.0),
        Label("0", "Neutral", "factual, a question or no clear feeling", 0.0),
        Label("1", "Positive", "mild liking, enjoyment, friendliness or approval", 1.0),
        Label("2", "Very Positive", "strong joy, love, excitement or gratitude", 2.0),
    ),
)

# Descriptions are ours (Feng et al. give names only); zero-shot and the supervised backend read them.
_TOPIC_DESCRIPTIONS = {
    "1a": "the US TikTok ban, censorship of TikTok, the shutdown and Congress or court decisions about it",
    "1b": "learning to use RedNote (Xiaohongshu), the app interface, the algorithm, first posts as a newcomer",
    "2a": "learning Chinese or English, words, pinyin, slang, translation and cultural exchange",
    "2b": (
        "national identity, stereotypes about Americans or Chinese people, "
        "what people were taught about the other country"
    ),
    "2c": "food, cooking, daily lifestyle, prices, fashion, clothes and makeup",
    "3a": "political and social movements, protests, elections, healthcare, government and social issues",
    "3b": "free speech, privacy, data security, surveillance and digital rights",
    "3c": "digital nationalism, patriotism, globalization, geopolitics and competition between countries",
    "4": "selling products, shops, e-commerce, brands, advertising and marketing",
    "5a": "memes, jokes, humor, the cat tax and spy jokes",
    "5b": "personal stories, daily life, work, feelings and self-expression",
    "5c": "making friends, community, welcoming newcomers, greetings and support",
    "6": "art, drawing, music, singing, dance, photography and crafts",
    "7": "unrelated or unclear content, spam, nothing to categorize",
}

_TAXONOMY_LIST = "\n".join(
    line
    for category, category_name in CATEGORIES.items()
    for line in (
        [f"{category}. {category_name}"]
        + [f" {t.code}. {t.name}" for t in TOPICS.values() if t.category == category and t.code != category]
    )
)

# Feng et al. Appendix B, Listing 4 (system prompt verbatim; the user prompt is their template).
TAXONOMY = LabelScheme(
    name="taxonomy",
    version="feng2025-appB",
    labels=tuple(Label(t.code, t.name, _TOPIC_DESCRIPTIONS[t.code]) for t in TOPICS.values()),
    system_prompt=(
        "You are a cross-cultural communication researcher analyzing social media posts on RedNote "
        "related to the recent migration of foreign TikTok users to the RedNote platform. Your task is "
        "to categorize each post into the most relevant category based on its content and comments.\n"
        "### Categories:\n" + _TAXONOMY_LIST
    ),
    user_template=(
        "### Post to Categorize:\nTitle: {title}\nDescription: {description}\n"
        "### Top 10 Comments:\n{comments}\n"
        "Please return only the category label, e.g., 1a or 3b. Do not include any other text."
    ),
)


def _code_list(labels: tuple[Label, ...]) -> str:
    return "\n".join(f"- {label.code}: {label.name} - {label.description}" for label in labels)


# Comments are labelled with their post's title as context: a bare "so proud" or "pathetic" says
# little about whom it is aimed at. ``text`` (what embedders read) is the comment alone.
_COMMENT_CONTEXT = (
    "You are a cross-cultural communication researcher analyzing comments on RedNote (Xiaohongshu) posts "
    'written during the 2025 migration of foreign "TikTok refugees" to the platform. Comments are in '
    "Chinese, English or both, by Chinese users and by foreign newcomers."
)


def _comment_prompt(what: str, examples: str) -> str:
    return (
        "### Post title (context only):\n{title}\n### Comment to classify:\n{comment}\n"
        f"Please return only the {what} code, e.g., {examples}. Do not include any other text."
    )


# Li et al. (2025): the emotions they report (contempt and anger in political threads, pride and
# praise in cultural ones, curiosity and joy from neutral users) plus a catch-all. The
# descriptions are ours; zero-shot and the supervised backend read them.
_EMOTION_LABELS = (
    Label(
        "contempt",
        "Contempt",
        "disdain, mockery or ridicule: looking down on someone, calling people ignorant, pathetic or a joke, sneering",
    ),
    Label("anger", "Anger", "anger, outrage, hostility or irritation: furious, so angry, hate this, annoying"),
    Label("pride", "Pride", "pride in one's own country, people, city or culture; being proud of it"),
    Label(
        "praise",
        "Praise",
        "admiration and compliments for the poster or their work: beautiful, talented, amazing, well done, so cute",
    ),
    Label(
        "curiosity", "Curiosity", "interest and questions: asking where, what, how or how much, wanting to know more"
    ),
    Label("joy", "Joy", "happiness, delight, fun or warmth: laughing, so happy, made my day, glad you are here"),
    Label(
        "neutral",
        "Neutral / other",
        "no clear emotion (a plain remark, following along, a greeting) or a "
        "feeling not listed here, such as sadness or disappointment",
    ),
)
EMOTION = LabelScheme(
    name="emotion",
    version="li2025-1",
    labels=_EMOTION_LABELS,
    system_prompt=(
        f"{_COMMENT_CONTEXT} Your task is to classify the main emotion a comment expresses. If it shows "
        "several, choose the strongest; if none is clear, choose neutral.\n### Emotions:\n"
        + _code_list(_EMOTION_LABELS)
    ),
    user_template=_comment_prompt("emotion", "joy or contempt"),
)

# Li et al. (2025): Pro-China / Neutral / Pro-Foreign.
_STANCE_LABELS = (
    Label(
        "pro-china",
        "Pro-China",
        "favours China or Chinese people, its culture, system or way of life, or "
        "defends China against foreign criticism",
    ),
    Label(
        "neutral",
        "Neutral",
        "takes no side between China and foreign countries, weighs both evenly, or is not about countries at all",
    ),
    Label(
        "pro-foreign",
        "Pro-Foreign",
        "favours the US or other foreign countries, their freedoms, system or way "
        "of life over China's, or criticises China",
    ),
)
STANCE = LabelScheme(
    name="stance",
    version="li2025-1",
    labels=_STANCE_LABELS,
    system_prompt=(
        f"{_COMMENT_CONTEXT} Your task is to classify the stance a comment takes between China and foreign "
        "countries (the US and others). Judge what the comment itself says, not who might have written it."
        "\n### Stances:\n" + _code_list(_STANCE_LABELS)
    ),
    user_template=_comment_prompt("stance", "neutral or pro-china"),
)

SCHEMES = {scheme.name: scheme for scheme in (SENTIMENT, TAXONOMY, EMOTION, STANCE)}
