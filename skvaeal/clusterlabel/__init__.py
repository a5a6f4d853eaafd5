"""Cluster-centre labelling with confidence propagation (Vengalil & Sinha).

*Semi-supervised learning using variational autoencoder: a cluster based
approach* (Vengalil & Sinha): a VAE with a softmax head on its code
(:class:`ClusterLabelClassifier`, holding a :class:`ClusterLabelNet`) learns a
latent space from an unlabelled pool; at intervals its codes are clustered, an
annotator labels the centres (decoded, or their nearest pool rows) with a
confidence, and each label spreads to its cluster's rows with a weight that
decays with the distance to the centre (:func:`label_cluster_centres`,
:func:`propagation_weights`). :func:`cluster_label_learning` runs the whole
loop; :func:`cluster_centre_sampling` is the pool-based variant as a query
strategy for any active learner.
"""

from ._estimator import ClusterLabelClassifier
from ._labelling import (CentreLabellingStep, ClusterLabels, LatentClusters, cluster_latent,
                         label_cluster_centres, latent_distances, propagation_weights)
from ._loop import ClusterLabelingResult, cluster_label_learning
from ._net import ClusterLabelNet
from ._strategy import cluster_centre_sampling

__all__ = ["CentreLabellingStep", "ClusterLabelClassifier", "ClusterLabelNet",
           "ClusterLabelingResult", "ClusterLabels", "LatentClusters", "cluster_centre_sampling",
           "cluster_label_learning", "cluster_latent", "label_cluster_centres",
           "latent_distances", "propagation_weights"]
