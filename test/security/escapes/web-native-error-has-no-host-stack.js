// A native's failure (Node's URL refusing a value) must reach the guest without the host's stack or paths.
const texts = [];
try { new URL("http://h/").href = "::not a url"; } catch (e) { texts.push(String(e.stack), e.message, e instanceof TypeError); }
try { btoa("\u20ac"); } catch (e) { texts.push(String(e.stack), e.message); }
const joined = texts.join("\n");
export default /node:|\/work\/|\.ts:|internal\//.test(joined) || !texts.includes(true) ? `ESCAPED: ${joined}` : "contained";
