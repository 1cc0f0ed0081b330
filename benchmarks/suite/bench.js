// whisk benchmark workload for quickjs.wasm (read from stdin): recursion, string operations,
// a sort, object/Map updates and a regular expression; prints one checksum line per part.
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
print("fib", fib(20));

let h = 0, parts = [];
for (let i = 1; i <= 10000; i++) {
  parts.push((i.toString(16) + ":" + (i * 7)).toUpperCase().repeat(2));
  if (i % 1000 === 0) {
    const joined = parts.join(",");
    h = (h * 31 + joined.length + joined.split("A").length) % 1000000007;
    parts = [];
  }
}
print("strings", h);

let seed = 42;
const t = [];
for (let i = 0; i < 20000; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; t.push(seed); }
t.sort((a, b) => a - b);
let ok = true;
for (let i = 1; i < t.length; i++) if (t[i - 1] > t[i]) ok = false;
print("sort", ok, t[0], t[t.length >> 1], t[t.length - 1]);

const counts = new Map();
for (let i = 1; i <= 50000; i++) { const k = "k" + (i * 13 % 997); counts.set(k, (counts.get(k) || 0) + i % 7); }
let total = 0;
for (const v of counts.values()) total += v;
print("maps", counts.size, total);

const text = "the quick brown fox jumps over the lazy dog ".repeat(200);
print("regexp", (text.match(/\b\w{5}\b/g) || []).length, text.replace(/o/g, "0").indexOf("f0x"));
