"""The assistant's Rasa side: NLU components, text helpers, domain and channel configuration.

Every process of the assistant (Rasa server, action server, connectors) imports this package,
so importing it masks customers' phone and account numbers in that process's logs.
"""
from bot.text.masking import install_log_masking

install_log_masking()
