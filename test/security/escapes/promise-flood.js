let n = 0;
const step = () =>
  Promise.resolve().then(() => {
    n++;
    return step();
  });
step();
export default await new Promise(() => {});
