"""Give back the space of recovery points: their manifests and unshared chunks.

Both the purge of deleted items and the expiry of old points come here, so
chunk accounting has one implementation. Rows go first, in the caller's
transaction; blobs are removed only after it commits, so a crash in between
leaves unreferenced blobs, never a point whose chunk is missing.
"""

import logging

from django.core.files.storage import default_storage
from django.db import transaction

from vaults.models import Chunk, RecoveryPoint

logger = logging.getLogger(__name__)


def delete_points(points):
    """Delete the given points and the chunks no other point uses.

    Return how many points and chunks went. Call inside a transaction.
    """
    point_ids = list(points.values_list("pk", flat=True))
    if not point_ids:
        return 0, 0
    through = RecoveryPoint.chunks.through
    manifest_blobs = list(
        RecoveryPoint.objects.filter(pk__in=point_ids).values_list(
            "manifest_blob", flat=True
        )
    )
    chunk_ids = set(
        through.objects.filter(recoverypoint_id__in=point_ids).values_list(
            "chunk_id", flat=True
        )
    )
    RecoveryPoint.objects.filter(pk__in=point_ids).delete()
    # Lock the candidates before asking which are still referenced, so a
    # point being recorded at the same moment either sees them or waits.
    list(Chunk.objects.select_for_update().filter(pk__in=chunk_ids))
    still_used = through.objects.filter(chunk_id__in=chunk_ids).values("chunk_id")
    orphans = Chunk.objects.filter(pk__in=chunk_ids).exclude(pk__in=still_used)
    chunk_blobs = list(orphans.values_list("blob", flat=True))
    orphans.delete()
    blobs = [name for name in manifest_blobs + chunk_blobs if name]
    transaction.on_commit(lambda: _delete_blobs(blobs))
    return len(point_ids), len(chunk_blobs)


def _delete_blobs(names):
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("could not delete blob %s", name)
