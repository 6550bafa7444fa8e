"""Deep Learning from Scratch, chapters 4-5: the building blocks, checked against exact values."""
