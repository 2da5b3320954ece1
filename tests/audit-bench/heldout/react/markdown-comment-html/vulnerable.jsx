import { useEffect, useMemo, useState } from "react";
import { marked } from "marked";
import { formatDistanceToNow } from "date-fns";

function Comment({ comment }) {
  const html = useMemo(() => marked.parse(comment.body), [comment.body]);
  return (
    <article className="comment">
      <header>
        <img className="avatar" src={comment.author.avatarUrl} alt="" />
        <strong>{comment.author.name}</strong>
        <time dateTime={comment.createdAt}>{formatDistanceToNow(new Date(comment.createdAt))} ago</time>
      </header>
      <div
        className="comment-body prose"
        dangerouslySetInnerHTML={{ __html: html }} // expect: CWE-79
      />
    </article>
  );
}

export default function CommentThread({ issueId }) {
  const [comments, setComments] = useState([]);

  useEffect(() => {
    fetch(`/api/issues/${issueId}/comments`)
      .then((r) => r.json())
      .then(setComments);
  }, [issueId]);

  return (
    <section className="comments">
      <h2>{comments.length} comments</h2>
      {comments.map((c) => (
        <Comment key={c.id} comment={c} />
      ))}
    </section>
  );
}
