const o = {};
if (Error.captureStackTrace) Error.captureStackTrace(o);
export default /node:|internal\/|\/work\//.test(String(o.stack || "")) ? "ESCAPED: host frames" : "contained";
