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
    "decode_surface": ["PaymentMethod", "ListResource_PaymentMethod_", "Member", "CustomerMeter",
                       "CustomerSession", "CustomerSessionCreate"],
}
for target, schemas in corpora.items():
    d = os.path.join(root, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for s in schemas:
        for inst in instances[s]:
            data = json.dumps(inst).encode()
            open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb").write(data)

def put(target, data):
    d = os.path.join(root, "corpus", target)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb").write(data)

for ext_id in ["a/b", "x?y=1", "user#1", "..", ".", "%2F", "é", "a b+c", "x" * 1024, "usr_1337"]:
    put("sdk_path_segments", ext_id.encode())
errors = [
    (1, {"error": "Unauthorized", "detail": "Unauthorized"}),
    (5, {"error": "ResourceNotFound", "detail": "Not found"}),
    (8, {"error": "PolarRequestValidationError", "detail": [{"type": "value_error", "loc": ["body", "email"], "msg": "A customer with this email address already exists.", "input": "a@b.co"}]}),
    (4, {"error": "insufficient_scope", "error_description": "The token lacks customers:read"}),
    (0, instances["Customer"][0]),
    (0, instances["ListResource_Customer_"][0]),
]
for pick, body in errors:
    put("sdk_error_responses", bytes([pick, 7]) + json.dumps(body).encode())
put("sdk_error_responses", bytes([0x8a, 3]) + b"<html><body>502 Bad Gateway</body></html>")
csv = ('ID,External ID,Created At,Email,Name,Tax ID,Billing Address Line 1,Billing Address Line 2,'
       'Billing Address City,Billing Address State,Billing Address Zip,Billing Address Country,Metadata\r\n'
       '6b0e4c5e-3f8e-4a57-9d2e-1f4a2b3c4d5e,usr_1,2026-01-02T03:04:05Z,a@example.com,"Ada, ""the"" first",,'
       '"1 Main St\nFloor 2",,Paris,,75001,FR,"{""plan"": ""pro""}"\r\n')
put("sdk_export_rows", bytes([0x10]) + csv.encode())
put("sdk_export_rows", bytes([0x03]) + csv.split("\r\n", 1)[1].encode())
# Webhook deliveries: `secret \0 id \0 timestamp \0 signature \0 body` (see
# fuzz_targets/webhook_verify.rs); secrets of each kind: new-style (standard key), old-style and
# merchant-supplied (legacy key), without prefix (both), and the refused ones.
secrets = [b"whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", b"whsec_polar_test_secret_0123456789",
           b"9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", b"whsec_ab=", b"whsec_", b""]
def envelope(event_type, data, data_first=False):
    parts = [("type", event_type), ("timestamp", "2026-11-29T10:00:00.000000Z"), ("data", data)]
    if data_first:
        parts.reverse()
    return ("{" + ",".join(json.dumps(k) + ":" + json.dumps(v, separators=(",", ":")) for k, v in parts) + "}").encode()
hooks = [envelope("customer.created", c) for c in instances["Customer"]]
hooks += [envelope("customer.state_changed", s, data_first=True) for s in instances["CustomerState"]]
hooks += [envelope("order.paid", {"id": "o_1"}), envelope("customer.deleted", {})]
for i, body in enumerate(hooks):
    put("webhook_verify", secrets[i % 4] + b"\x00msg_1\x001796032800\x00v1,rgyue4scrsWk+rY6e3WShfEozxiQhOFK+6O6FL4Sr9I= v2,x\x00" + body)
for secret in secrets:
    put("webhook_verify", secret + b"\x00\x00\x00\x00")
print("seeded", ", ".join(list(corpora) + ["sdk_path_segments", "sdk_error_responses", "sdk_export_rows", "webhook_verify"]))
