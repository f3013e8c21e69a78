for (;;) {
  await null;
}
