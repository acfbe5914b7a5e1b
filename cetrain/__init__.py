"""cetrain: logistic and softmax regression from scratch, trained on cross-entropy."""

from cetrain.estimators import LogisticRegression, MultiLabelRegression, SoftmaxRegression

__version__ = "0.1.0"

__all__ = ["LogisticRegression", "MultiLabelRegression", "SoftmaxRegression", "__version__"]
