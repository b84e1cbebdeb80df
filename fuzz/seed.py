#!/usr/bin/env python3
"""Seeds the fuzz corpora from the instances `cargo xtask codegen` synthesised from the spec."""
import json, os, sys, hashlib

root = os.path.dirname(os.path.abspath(__file__))
instances = json.load(open(os.path.join(root, "..", "crates", "polar-types", "tests", "fixtures", "spec-instances.json")))
corpora = {
    "decode_customer": ["Customer"],
    "decode_customer_state": ["CustomerState"],
    "decode_customer_page": ["ListResource_Customer_"],
    "decode_error_bodies": ["HTTPValidationError", "ResourceNotFound"],
}
for target, schemas in corpora.items():
    d = os.path.join(root, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for s in schemas:
        for inst in instances[s]:
            data = json.dumps(inst).encode()
            open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb").write(data)
print("seeded", ", ".join(corpora))
