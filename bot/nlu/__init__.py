"""Custom Rasa NLU components: normaliser, whitespace-safe jieba tokenizer, rule entity extractor."""
