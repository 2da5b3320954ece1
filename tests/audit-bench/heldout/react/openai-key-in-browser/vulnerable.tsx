import { FormEvent, useState } from "react";
import OpenAI from "openai";

type Message = { role: "user" | "assistant"; content: string };

const openai = new OpenAI({
  apiKey: "sk-proj-FAKEa1B2c3D4e5F6g7H8T3BlbkFJi9J0k1L2m3N4o5P6FAKE", // expect: CWE-798
  dangerouslyAllowBrowser: true,
});

export default function SupportChat() {
  const [messages, setMessages] = useState<Message[]>([]);
  const [input, setInput] = useState("");
  const [loading, setLoading] = useState(false);

  async function send(e: FormEvent) {
    e.preventDefault();
    if (!input.trim()) return;
    const next: Message[] = [...messages, { role: "user", content: input }];
    setMessages(next);
    setInput("");
    setLoading(true);
    try {
      const completion = await openai.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "system", content: "You are the support assistant for Acme Cloud." }, ...next],
      });
      const reply = completion.choices[0]?.message?.content ?? "";
      setMessages([...next, { role: "assistant", content: reply }]);
    } finally {
      setLoading(false);
    }
  }

  return (
    <div className="chat">
      <ul>
        {messages.map((m, i) => (
          <li key={i} className={m.role}>{m.content}</li>
        ))}
      </ul>
      <form onSubmit={send}>
        <input value={input} onChange={(e) => setInput(e.target.value)} placeholder="Ask a question" />
        <button disabled={loading}>Send</button>
      </form>
    </div>
  );
}
