"""Tiny models built on the fly, so tests exercise the real transformers / sentence-transformers
loading code without a model hub: a WordPiece tokenizer trained on the given texts and a
random-initialised DistilBERT classifier or BERT encoder saved to a local folder."""

from pathlib import Path

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_tokenizer(texts: list[str], out: Path, vocab_size: int = 400, model_max_length: int = 64):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)  # splits CJK into characters
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
    )
    fast.save_pretrained(out)
    return fast


def tiny_classifier(out: Path, texts: list[str], id2label: dict[int, str], seed: int = 0, max_len: int = 64) -> Path:
    """A 2-layer DistilBERT sequence classifier with the given label order."""
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification

    out.mkdir(parents=True, exist_ok=True)
    tok = train_tokenizer(texts, out, model_max_length=max_len)
    torch.manual_seed(seed)
    config = DistilBertConfig(
        vocab_size=len(tok),
        dim=32,
        hidden_dim=64,
        n_layers=2,
        n_heads=2,
        max_position_embeddings=max_len,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        pad_token_id=tok.pad_token_id,
        initializer_range=0.5,  # wide init: texts get distinct outputs
    )
    model = DistilBertForSequenceClassification(config)
    # Random init gives near-uniform logits; scale the head so predictions are decisive and stable.
    with torch.no_grad():
        model.classifier.weight.mul_(4.0)
    model.save_pretrained(out)
    return out


def tiny_sentence_encoder(out: Path, texts: list[str], seed: int = 0, dim: int = 32) -> Path:
    """A 2-layer BERT encoder with mean pooling, saved as a sentence-transformers folder."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel

    out.mkdir(parents=True, exist_ok=True)
    hf = out / "hf"
    tok = train_tokenizer(texts, hf, vocab_size=800, model_max_length=128)
    torch.manual_seed(seed)
    BertModel(
        BertConfig(
            vocab_size=len(tok),
            hidden_size=dim,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=2 * dim,
            max_position_embeddings=128,
        )
    ).save_pretrained(hf)
    word = Transformer(str(hf), max_seq_length=128)
    pool = Pooling(word.get_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[word, pool]).save(str(out / "st"))
    return out / "st"
