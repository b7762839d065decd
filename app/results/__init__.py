"""Result page: turning model answers into safe HTML."""
