"""The teaching commands' computations and figures: landscape, saturation, the entropy
calculator, the loss table and the gradient check."""
