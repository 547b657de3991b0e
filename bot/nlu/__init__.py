"""Custom Rasa NLU components: normaliser, whitespace-safe jieba tokenizer, rule entity extractor,
character n-gram intent classifier, chitchat-only response selector.

The Rasa server imports this package when it loads the model (the pipeline names these
components), and only Rasa processes do (the action server does not), so the server-side
fix for Rasa's per-call schema check of action replies is installed here.
"""
from bot.nlu.action_reply_validation import install as _install_action_reply_validation

_install_action_reply_validation()
