"""CRUD endpoints for products at /api/products."""

import sqlite3
from typing import Annotated, Optional

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from app.db import LIKE_ESCAPE, get_db, like_pattern, now
from app.schemas import ProductIn, ProductOut

router = APIRouter(prefix="/api/products", tags=["products"])

ItemId = Annotated[int, Path(alias="id", ge=1)]

# Columns a client writes, in the order of the INSERT and UPDATE placeholders.
COLUMNS = ("name", "description", "price", "stock", "image_url", "category_id")
BOOLEAN_COLUMNS = ()
# Each relation: the query that checks the referenced row exists, and the entity's name.
PARENTS = {
    "category_id": ('SELECT 1 FROM "categories" WHERE "id" = ?', "Category"),
}

SQL_GET = 'SELECT "id", "name", "description", "price", "stock", "image_url", "category_id", "created_at" FROM "products" WHERE "id" = ?'
SQL_LIST = 'SELECT "id", "name", "description", "price", "stock", "image_url", "category_id", "created_at" FROM "products" ORDER BY "id" LIMIT ? OFFSET ?'
SQL_SEARCH = 'SELECT "id", "name", "description", "price", "stock", "image_url", "category_id", "created_at" FROM "products" WHERE "name" LIKE :pattern ESCAPE :escape OR "description" LIKE :pattern ESCAPE :escape OR "image_url" LIKE :pattern ESCAPE :escape ORDER BY "id" LIMIT :limit OFFSET :offset'
SQL_INSERT = 'INSERT INTO "products" ("name", "description", "price", "stock", "image_url", "category_id", "created_at") VALUES (?, ?, ?, ?, ?, ?, ?)'
SQL_UPDATE = 'UPDATE "products" SET "name" = ?, "description" = ?, "price" = ?, "stock" = ?, "image_url" = ?, "category_id" = ? WHERE "id" = ?'
SQL_DELETE = 'DELETE FROM "products" WHERE "id" = ?'


def to_out(row: sqlite3.Row) -> dict:
    """A database row as the API returns it (booleans as true/false)."""
    item = dict(row)
    for column in BOOLEAN_COLUMNS:
        if item[column] is not None:
            item[column] = bool(item[column])
    return item


def _values(payload: ProductIn, db: sqlite3.Connection) -> list:
    data = payload.model_dump(by_alias=True, mode="json")
    for column, (query, target) in PARENTS.items():
        value = data[column]
        if value is not None and db.execute(query, (value,)).fetchone() is None:
            raise HTTPException(
                status_code=422, detail=f"{column}: {target} {value} does not exist"
            )
    return [data[column] for column in COLUMNS]


def _write(db: sqlite3.Connection, query: str, params: list) -> sqlite3.Cursor:
    try:
        cursor = db.execute(query, params)
        db.commit()
        return cursor
    except sqlite3.IntegrityError as exc:
        db.rollback()
        if "UNIQUE" in str(exc):
            raise HTTPException(
                status_code=409, detail="Another product already has this unique value"
            ) from exc
        raise HTTPException(status_code=422, detail="A referenced row does not exist") from exc


def _get_or_404(db: sqlite3.Connection, item_id: int) -> sqlite3.Row:
    row = db.execute(SQL_GET, (item_id,)).fetchone()
    if row is None:
        raise HTTPException(status_code=404, detail="Product not found")
    return row


@router.get("", response_model=list[ProductOut])
def list_items(
    db: Annotated[sqlite3.Connection, Depends(get_db)],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    q: Annotated[Optional[str], Query(max_length=200)] = None,
):
    if q:
        params = {"pattern": like_pattern(q), "escape": LIKE_ESCAPE, "limit": limit, "offset": offset}
        return [to_out(row) for row in db.execute(SQL_SEARCH, params)]
    return [to_out(row) for row in db.execute(SQL_LIST, (limit, offset))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProductOut)
def create_item(
    payload: ProductIn,
    db: Annotated[sqlite3.Connection, Depends(get_db)],
):
    cursor = _write(db, SQL_INSERT, _values(payload, db) + [now()])
    return to_out(_get_or_404(db, cursor.lastrowid))


@router.get("/{id}", response_model=ProductOut)
def read_item(item_id: ItemId, db: Annotated[sqlite3.Connection, Depends(get_db)]):
    return to_out(_get_or_404(db, item_id))


@router.put("/{id}", response_model=ProductOut)
def replace_item(
    item_id: ItemId,
    payload: ProductIn,
    db: Annotated[sqlite3.Connection, Depends(get_db)],
):
    _get_or_404(db, item_id)
    _write(db, SQL_UPDATE, _values(payload, db) + [item_id])
    return to_out(_get_or_404(db, item_id))


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_item(
    item_id: ItemId,
    db: Annotated[sqlite3.Connection, Depends(get_db)],
) -> Response:
    _get_or_404(db, item_id)
    db.execute(SQL_DELETE, (item_id,))
    db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
