import { useMemo } from "react";
import { useSearchParams } from "react-router-dom";

const OPERATIONS = {
  sum: (values) => values.reduce((a, b) => a + b, 0),
  avg: (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0),
  max: (values) => Math.max(...values),
};

export default function MetricTile({ values }) {
  const [params] = useSearchParams();
  const formula = params.get("formula") || "sum";
  const result = useMemo(() => {
    const fn = OPERATIONS[formula] || OPERATIONS.sum;
    return fn(values);
  }, [formula, values]);
  return <div className="metric">{String(result)}</div>;
}
