"""Checks `romac --print-host --json` (print-host.test): every count is
positive and every value says where it came from."""
import json
import sys


def sources(node):
    """Yields the `source` of every {value, source} pair in `node`."""
    if isinstance(node, dict):
        if set(node) == {"value", "source"}:
            yield node["source"]
        for child in node.values():
            yield from sources(child)
    elif isinstance(node, list):
        for child in node:
            yield from sources(child)


host = json.load(open(sys.argv[1]))
assert host["cores"]["value"] > 0, host
assert host["threads_per_core"]["value"] > 0, host
assert host["frequency_mhz"]["value"] > 0, host
assert host["fma_units_per_core"]["value"] > 0, host
assert host["vector_bits"] in (128, 256, 512), host
assert host["vector_registers"] in (16, 32), host
assert host["caches"], host
for cache in host["caches"]:
    assert cache["size_bytes"]["value"] > 0, cache
    assert cache["line_bytes"]["value"] > 0, cache
    assert cache["shared_by"]["value"] > 0, cache
assert host["target"]["rows"] > 0 and host["target"]["cols"] > 0, host
assert host["target"]["buffer_bytes"] > 0, host
known = {"sysfs", "cpuid", "os", "default"}
assert set(sources(host)) <= known, set(sources(host))
assert host["features_source"] in known, host
print("json ok", sorted(host["features"]))
