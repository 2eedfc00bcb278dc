"""The schemes the pipeline labels with. Adding stance or emotion means adding data here."""

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
    "2b": "national identity, stereotypes about Americans or Chinese people, what people were taught about the other country",
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

SCHEMES = {scheme.name: scheme for scheme in (SENTIMENT, TAXONOMY)}
