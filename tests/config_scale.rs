//! A configuration with 100k static routes parses completely (no quadratic step; the
//! release build does it in a fraction of a second, see the configuration report).

use rexa::bgp::attribute::{Attribute, CODE_MED};

#[test]
fn hundred_thousand_routes() {
    let mut text = String::from(
        "neighbor 10.0.0.1 {\n router-id 10.0.0.2;\n local-address 10.0.0.2;\n local-as 65000;\n peer-as 65001;\n static {\n",
    );
    for i in 0u32..100_000 {
        text.push_str(&format!(
            "  route 10.{}.{}.0/24 next-hop 10.0.0.2 as-path [ 65000 65002 ] med {i} community [ 65000:{} ] extended-community [ target:65000:{i} ];\n",
            (i >> 8) & 255,
            i & 255,
            i % 65535
        ));
    }
    text.push_str(" }\n}\n");
    let config = rexa::config::parse(&text, "big.conf").expect("valid");
    let routes = &config.neighbors[0].routes;
    assert_eq!(routes.len(), 100_000);
    assert_eq!(
        routes[99_999].attributes.get(CODE_MED),
        Some(&Attribute::Med(99_999))
    );
}
