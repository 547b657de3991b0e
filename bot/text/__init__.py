"""Chinese text handling shared by the NLU pipeline, the actions and the connectors."""
from bot.text.normalize import normalize
from bot.text.numerals import Quantity, chinese_to_digits, parse_capacity, parse_kwh, parse_number

__all__ = [
    "Quantity",
    "chinese_to_digits",
    "normalize",
    "parse_capacity",
    "parse_kwh",
    "parse_number",
]
