"""Data: the dataset registry, CSV and .npy reading, train/test splits, preprocessing."""

from cetrain.data.csvfile import read_csv
from cetrain.data.dataset import Dataset, DatasetInfo, target_kind
from cetrain.data.registry import DATASETS_DIR, list_datasets, load_dataset, looks_like_path
from cetrain.data.split import split_strata, train_test_split

__all__ = [
    "DATASETS_DIR",
    "Dataset",
    "DatasetInfo",
    "list_datasets",
    "load_dataset",
    "looks_like_path",
    "read_csv",
    "split_strata",
    "target_kind",
    "train_test_split",
]
