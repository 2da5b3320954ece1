import math
import os

import discord
from discord.ext import commands

intents = discord.Intents.default()
intents.message_content = True
bot = commands.Bot(command_prefix="!", intents=intents)

MATH_NAMES = {name: getattr(math, name) for name in ("sqrt", "sin", "cos", "tan", "log", "log10", "pi", "e")}
BANNED = ("import", "__", "os", "sys", "open", "exec", "eval")


def calculate(expression: str):
    lowered = expression.lower()
    if any(word in lowered for word in BANNED):
        raise ValueError("that is not a math expression")
    return eval(expression, {"__builtins__": {}}, MATH_NAMES)  # expect: CWE-95


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
