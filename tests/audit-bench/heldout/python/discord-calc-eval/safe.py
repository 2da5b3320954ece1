import ast
import math
import operator
import os

import discord
from discord.ext import commands

intents = discord.Intents.default()
intents.message_content = True
bot = commands.Bot(command_prefix="!", intents=intents)

MATH_NAMES = {name: getattr(math, name) for name in ("sqrt", "sin", "cos", "tan", "log", "log10", "pi", "e")}
OPERATORS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.Mod: operator.mod, ast.USub: operator.neg, ast.UAdd: operator.pos,
}


def _evaluate(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id in MATH_NAMES and not callable(MATH_NAMES[node.id]):
        return MATH_NAMES[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        right = _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        return OPERATORS[type(node.op)](_evaluate(node.left), right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](_evaluate(node.operand))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and callable(MATH_NAMES.get(node.func.id))
            and len(node.args) == 1 and not node.keywords):
        return MATH_NAMES[node.func.id](_evaluate(node.args[0]))
    raise ValueError("that is not a math expression")


def calculate(expression: str):
    return _evaluate(ast.parse(expression, mode="eval").body)


@bot.command(name="calc", help="Evaluate a math expression, e.g. !calc sqrt(2) * 10")
async def calc(ctx, *, expression: str):
    try:
        result = calculate(expression)
    except Exception as exc:
        await ctx.reply(f"Could not evaluate that: {exc}")
        return
    await ctx.reply(f"`{expression}` = **{result}**")


if __name__ == "__main__":
    bot.run(os.environ["DISCORD_TOKEN"])
