"""One module per provider: its command options and its ``session.create`` / ``session.update`` types, carrying
only what that provider takes. ``contracts.commands`` joins them into the tagged unions."""
