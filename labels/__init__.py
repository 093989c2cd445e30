"""Labels: taxonomy v1, stand-off annotations, silver rules and datasets."""

from risklens.labels.taxonomy import GROUPS, LABELS, LEAVES, TAXONOMY_VERSION, validate_labels

__all__ = ["GROUPS", "LABELS", "LEAVES", "TAXONOMY_VERSION", "validate_labels"]
