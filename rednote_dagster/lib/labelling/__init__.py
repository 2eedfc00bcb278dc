"""One labelling mechanism for every scheme (sentiment, taxonomy, stance, emotion).

A :class:`~.scheme.LabelScheme` is data: codes, names, descriptions and prompts. A backend turns
documents into :class:`~.base.Prediction` objects over a scheme's codes; backends are
interchangeable (transformers classifier, lexicon, LLM over an OpenAI-compatible API, supervised
on embeddings, zero-shot on embeddings). :func:`~.cache.label_documents` runs any backend through
the content-hash cache so a text is labelled once per (backend, model, revision).

Around it: :mod:`.scheme_backend` chooses and builds a scheme's backend, :mod:`.monthly` labels
collection months into the warehouse, :mod:`.rows` shapes a scheme's label rows, and
:mod:`.embedding_store` keeps sentence embeddings so a text is embedded once per model revision.
"""
