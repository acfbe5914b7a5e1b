"""The mathematics, in pure NumPy: links, losses (and their registry), output heads, the
objective and the optimiser. Nothing here imports scikit-learn, matplotlib or click."""
