#!/usr/bin/env python3
"""Reads provreg exports with independent libraries, for the registry's tests.

Usage:
  export_validate.py prov FILE              parse JSON-LD with rdflib; print the triples
  export_validate.py csv FILE               parse CSV with the csv module; print the rows
  export_validate.py openlineage FILE FACETS_SCHEMA
                                            check OpenLineage run events; print a report

Each prints one JSON document on standard output.

`openlineage` checks every event three ways:
- with `jsonschema` against the OpenLineage 2-0-2 run event (the core object model of
  https://openlineage.io/spec/2-0-2/OpenLineage.json, written out below: the openlineage-python
  package does not ship the spec's file);
- by rebuilding it from openlineage-python's 2-0-2 classes (`event_v2`, with their validators:
  UUID run IDs, ISO 8601 event times, the event type enum, and each standard facet's own
  class and schema URL) and serialising it back with the package's `Serde`: the result must
  equal the event;
- each custom facet (`provreg_*`) with `jsonschema` against its definition in FACETS_SCHEMA.

Needs `pip install rdflib jsonschema openlineage-python` (the tests pin the versions).
"""
import csv
import json
import sys

# The 2-0-2 run event: BaseEvent (eventTime, producer, schemaURL) with run, job, inputs and
# outputs; every facet a BaseFacet (_producer, _schemaURL).
OPENLINEAGE_2_0_2 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "BaseFacet": {
            "type": "object",
            "required": ["_producer", "_schemaURL"],
            "properties": {
                "_producer": {"type": "string", "format": "uri"},
                "_schemaURL": {"type": "string", "format": "uri"},
            },
            "additionalProperties": True,
        },
        "Facets": {"type": "object", "additionalProperties": {"$ref": "#/$defs/BaseFacet"}},
        "Dataset": {
            "type": "object",
            "required": ["namespace", "name"],
            "properties": {
                "namespace": {"type": "string"},
                "name": {"type": "string"},
                "facets": {"$ref": "#/$defs/Facets"},
            },
        },
        "InputDataset": {
            "allOf": [{"$ref": "#/$defs/Dataset"}],
            "properties": {"inputFacets": {"$ref": "#/$defs/Facets"}},
        },
        "OutputDataset": {
            "allOf": [{"$ref": "#/$defs/Dataset"}],
            "properties": {"outputFacets": {"$ref": "#/$defs/Facets"}},
        },
    },
    "type": "object",
    "required": ["eventTime", "producer", "schemaURL", "run", "job"],
    "properties": {
        "eventTime": {"type": "string", "format": "date-time"},
        "producer": {"type": "string", "format": "uri"},
        "schemaURL": {"type": "string", "format": "uri"},
        "eventType": {"enum": ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]},
        "run": {
            "type": "object",
            "required": ["runId"],
            "properties": {"runId": {"type": "string", "format": "uuid"}, "facets": {"$ref": "#/$defs/Facets"}},
        },
        "job": {
            "type": "object",
            "required": ["namespace", "name"],
            "properties": {
                "namespace": {"type": "string"},
                "name": {"type": "string"},
                "facets": {"$ref": "#/$defs/Facets"},
            },
        },
        "inputs": {"type": "array", "items": {"$ref": "#/$defs/InputDataset"}},
        "outputs": {"type": "array", "items": {"$ref": "#/$defs/OutputDataset"}},
    },
}


def prune(value):
    """`value` without empty objects and lists."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v != {} and v != []}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def flatten(value, path=""):
    """(path, leaf) pairs of `value`."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from flatten(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from flatten(v, f"{path}/{i}")
    else:
        yield (path, json.dumps(value))


def prov(path):
    import rdflib

    graph = rdflib.Graph()
    graph.parse(path, format="json-ld")
    triples = sorted([str(s), str(p), str(o)] for s, p, o in graph)
    print(json.dumps({"triples": triples}))


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        print(json.dumps({"rows": list(csv.reader(f, strict=True))}))


def openlineage(path, facets_schema_path):
    import attr
    import jsonschema
    from openlineage.client import event_v2
    from openlineage.client.generated import (
        base,
        dataset_version_dataset,
        documentation_dataset,
        job_type_job,
        nominal_time_run,
    )
    from openlineage.client.serde import Serde

    standard = {
        "nominalTime": nominal_time_run.NominalTimeRunFacet,
        "jobType": job_type_job.JobTypeJobFacet,
        "datasetVersion": dataset_version_dataset.DatasetVersionDatasetFacet,
        "documentation": documentation_dataset.DocumentationDatasetFacet,
    }
    with open(facets_schema_path, encoding="utf-8") as f:
        facets_schema = json.load(f)
    checker = jsonschema.FormatChecker()
    core = jsonschema.Draft202012Validator(OPENLINEAGE_2_0_2, format_checker=checker)
    errors = []

    def facet(name, body, kind):
        if name in standard:
            cls = standard[name]
            fields = {k: v for k, v in body.items() if not k.startswith("_")}
            built = cls(**fields, producer=body["_producer"])
            if built._schemaURL != body["_schemaURL"]:
                errors.append(f"{name}: schema URL {body['_schemaURL']} is not {built._schemaURL}")
            return built
        if not name.startswith("provreg_"):
            errors.append(f"unknown facet {name}")
        definition = body["_schemaURL"].split("#/$defs/")[-1]
        schema = dict(facets_schema, **{"$ref": f"#/$defs/{definition}"})
        for e in jsonschema.Draft202012Validator(schema, format_checker=checker).iter_errors(body):
            errors.append(f"{name}: {e.message}")
        fields = {k: v for k, v in body.items() if not k.startswith("_")}
        url = body["_schemaURL"]
        custom = attr.define(type(definition, (kind,), {"_get_schema": staticmethod(lambda: url)}))
        return custom(producer=body["_producer"]).with_additional_properties(**fields)

    def facets(d, kind):
        return {name: facet(name, body, kind) for name, body in (d or {}).items()}

    def rebuild(event):
        rebuilt = event_v2.RunEvent(
            eventType=event_v2.RunState(event["eventType"]),
            eventTime=event["eventTime"],
            producer=event["producer"],
            run=event_v2.Run(runId=event["run"]["runId"], facets=facets(event["run"].get("facets"), base.RunFacet)),
            job=event_v2.Job(
                namespace=event["job"]["namespace"],
                name=event["job"]["name"],
                facets=facets(event["job"].get("facets"), base.JobFacet),
            ),
            inputs=[
                event_v2.InputDataset(
                    namespace=d["namespace"],
                    name=d["name"],
                    facets=facets(d.get("facets"), base.DatasetFacet),
                    inputFacets=facets(d.get("inputFacets"), base.InputDatasetFacet),
                )
                for d in event.get("inputs", [])
            ],
            outputs=[
                event_v2.OutputDataset(
                    namespace=d["namespace"],
                    name=d["name"],
                    facets=facets(d.get("facets"), base.DatasetFacet),
                )
                for d in event.get("outputs", [])
            ],
        )
        if rebuilt.schemaURL != event["schemaURL"]:
            errors.append(f"schemaURL {event['schemaURL']} is not the package's {rebuilt.schemaURL}")
        # The package writes the facet maps it defaults (`outputFacets: {}`); nothing else may differ.
        again, original = prune(Serde.to_dict(rebuilt)), prune(event)
        if again != original:
            diff = sorted(set(flatten(again)) ^ set(flatten(original)))
            errors.append(f"openlineage-python reads event {event['run']['runId']} differently: {diff[:10]}")

    with open(path, encoding="utf-8") as f:
        events = json.load(f)
    for event in events:
        for e in core.iter_errors(event):
            errors.append(f"core: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        try:
            rebuild(event)
        except Exception as e:  # a validator of the package refused the event
            errors.append(f"openlineage-python refuses event {event.get('run', {}).get('runId')}: {e!r}")
    print(json.dumps({"events": len(events), "errors": errors}))


def main():
    command, args = sys.argv[1], sys.argv[2:]
    {"prov": prov, "csv": rows, "openlineage": openlineage}[command](*args)


if __name__ == "__main__":
    main()
