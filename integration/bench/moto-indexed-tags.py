#!/usr/bin/env python3
"""moto_server for the bench: the same server, with three of EC2's lookups by id indexed.

moto 5.2.1 finds one thing by id by scanning everything, which makes a fleet of 5,000
instances quadratic to launch, tag, describe and terminate (one DescribeInstances page
filtered by tag took minutes). Each patch below returns what the original returns, in the
same shape, without the scan:
- TaggedEC2Resource.get_tags (moto/ec2/models/core.py) went through describe_tags with a
  resource-id filter: a regex per tag of every resource. It now reads the resource's own
  entry of the same tag store (an instance id holds no wildcard, so the regex matched
  exactly that id).
- InstanceBackend.get_instance (moto/ec2/models/instances.py) copied every reservation to
  find one instance. It now keeps an index by id, filled from the reservations on a miss;
  moto never removes an instance from its reservation (terminated ones stay), and a reset
  replaces the backend, so the index cannot go stale.
- EBSBackend.describe_volumes with volume ids and no filters (called once per launched
  instance for its root volume) listed every volume; it now reads them by id, raising the
  same error for an unknown id.
Nothing else in moto changes. The bench starts this in place of moto_server (MotoServer's
`command`); run as a script it is moto_server.
"""
import sys

from moto.ec2.exceptions import InvalidInstanceIdError, InvalidVolumeIdError
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.elastic_block_store import EBSBackend
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix


def get_tags(self):
    if not self.id:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    own = self.ec2_backend.tags.get(self.id, {})
    return [{"resource_id": self.id, "key": k, "value": v, "resource_type": resource_type} for k, v in own.items()]


def get_instance(self, instance_id):
    index = self.__dict__.setdefault("_bench_instance_index", {})
    instance = index.get(instance_id)
    if instance is None:
        for reservation in self.reservations.values():
            for each in reservation.instances:
                index[each.id] = each
        instance = index.get(instance_id)
    if instance is None:
        raise InvalidInstanceIdError(instance_id)
    return instance


_describe_volumes = EBSBackend.describe_volumes


def describe_volumes(self, volume_ids=None, filters=None):
    if not volume_ids or filters:
        return _describe_volumes(self, volume_ids=volume_ids, filters=filters)
    unknown = [v for v in volume_ids if v not in self.volumes]
    if unknown:
        raise InvalidVolumeIdError(set(unknown))
    wanted = set(volume_ids)
    return [volume for volume_id, volume in self.volumes.items() if volume_id in wanted] if len(wanted) > 1 else [self.volumes[volume_ids[0]]]


TaggedEC2Resource.get_tags = get_tags
InstanceBackend.get_instance = get_instance
EBSBackend.describe_volumes = describe_volumes

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
