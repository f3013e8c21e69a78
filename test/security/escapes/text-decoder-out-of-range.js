// A forged view asks the host to decode bytes beyond the buffer (host memory) or from a non-buffer.
ArrayBuffer.isView = () => true;
const attempts = [
  { buffer: new ArrayBuffer(4), byteOffset: 0, byteLength: 1 << 20 },
  { buffer: new ArrayBuffer(4), byteOffset: -8, byteLength: 4 },
  { buffer: new ArrayBuffer(4), byteOffset: 2 ** 53, byteLength: 1 },
  { buffer: {}, byteOffset: 0, byteLength: 16 },
  { buffer: "not bytes", byteOffset: 0, byteLength: 16 },
];
const leaked = [];
for (const view of attempts) {
  try {
    const text = new TextDecoder().decode(view);
    if (text.length > 4) leaked.push(text.length);
  } catch {}
}
export default leaked.length ? `ESCAPED: read ${leaked}` : "contained";
