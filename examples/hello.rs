// hello.rs: a Rust WASI command. Prints "Hello, world!" and then each argument as
// "arg[i] = value" (argv[0] included), and exits with status 0.
fn main() {
    println!("Hello, world!");
    for (i, arg) in std::env::args().enumerate() {
        println!("arg[{}] = {}", i, arg);
    }
}
