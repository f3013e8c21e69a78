export default JSON.parse('{"__proto__": {"pwned": "yes"}, "a": 1}');
