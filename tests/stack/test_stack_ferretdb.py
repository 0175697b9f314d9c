"""pymongo on the stack's FerretDB: insert, filtered query, index creation and listing, aggregation."""

from __future__ import annotations

import pymongo
import pytest


@pytest.fixture
def collection(stack_settings, unique):
    client = pymongo.MongoClient(stack_settings.log_store_url, serverSelectionTimeoutMS=5000)
    coll = client[stack_settings.log_store_db][f"it_events_{unique}"]
    yield coll
    coll.drop()
    client.close()


def test_mongo_crud_index_aggregate(collection):
    assert collection.database.client.admin.command("ping")["ok"] == 1.0
    docs = [
        {"seq": i, "kind": "pix" if i % 3 else "ted", "amount_cents": 100 * i, "tags": ["x"] if i % 2 else []}
        for i in range(1, 13)
    ]
    result = collection.insert_many(docs)
    assert len(result.inserted_ids) == 12

    found = list(
        collection.find({"kind": "ted", "amount_cents": {"$gte": 600}}, {"_id": 0, "seq": 1}).sort("seq", 1)
    )
    assert found == [{"seq": 6}, {"seq": 9}, {"seq": 12}]
    assert collection.count_documents({"tags": "x"}) == 6

    name = collection.create_index(
        [("kind", pymongo.ASCENDING), ("seq", pymongo.DESCENDING)], name="kind_seq"
    )
    assert name == "kind_seq"
    indexes = {ix["name"]: dict(ix["key"]) for ix in collection.list_indexes()}
    assert indexes["kind_seq"] == {"kind": 1, "seq": -1}
    assert "_id_" in indexes

    # FerretDB v1 computes only the first accumulator of a $group correctly (FerretDB issue #4616) and
    # lacks $min/$max/$avg: one accumulator per $group stage
    totals = [
        {"$match": {"seq": {"$lte": 9}}},
        {"$group": {"_id": "$kind", "total": {"$sum": "$amount_cents"}}},
        {"$sort": {"_id": 1}},
    ]
    assert list(collection.aggregate(totals)) == [
        {"_id": "pix", "total": 100 * (1 + 2 + 4 + 5 + 7 + 8)},
        {"_id": "ted", "total": 100 * (3 + 6 + 9)},
    ]
    counts = [{"$match": {"tags": "x"}}, {"$group": {"_id": "$kind", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}]
    assert list(collection.aggregate(counts)) == [{"_id": "pix", "n": 4}, {"_id": "ted", "n": 2}]

    collection.update_one({"seq": 1}, {"$set": {"kind": "ted"}})
    assert collection.find_one({"seq": 1})["kind"] == "ted"
    assert collection.delete_many({"kind": "ted"}).deleted_count == 5
