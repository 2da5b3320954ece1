import { useEffect, useState } from "react";
import DOMPurify from "dompurify";

export default function CommentList({ postId }) {
  const [comments, setComments] = useState([]);

  useEffect(() => {
    fetch(`/api/posts/${postId}/comments`)
      .then((r) => r.json())
      .then(setComments);
  }, [postId]);

  return (
    <ul className="comments">
      {comments.map((c) => (
        <li key={c.id}>
          <strong>{c.author}</strong>
          <div
            className="comment-body"
            dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(c.bodyHtml) }}
          />
        </li>
      ))}
    </ul>
  );
}
