import ast
import operator

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI(title="Calculator")
OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
}


class Expression(BaseModel):
    expression: str


def evaluate(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](evaluate(node.operand))
    raise ValueError("unsupported expression")


@app.post("/calculate")
def calculate(body: Expression):
    expr = body.expression.replace("^", "**")
    try:
        result = evaluate(ast.parse(expr, mode="eval").body)
    except Exception as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return {"expression": body.expression, "result": result}
