"""Anonymous swap (actors/kernel/swap.py): do_swap_page against a swap slot freed and reused."""
