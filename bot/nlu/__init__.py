"""Custom Rasa NLU components: normaliser, whitespace-safe jieba tokenizer, rule entity extractor,
character n-gram intent classifier, chitchat-only response selector.

Imported by the Rasa server when it loads the model, which is when `bot.runtime` installs its
changes to how the server runs.
"""
import bot.runtime  # noqa: F401
