//! The interner of large NLRI bodies (label stacks, VPN labels and RD, MUP, MVPN and FlowSpec
//! routes): equal bodies held by the adj-rib-outs of every peer share one allocation.
//!
//! `Nlri` keeps such a body behind an `Arc` (so `Nlri` stays at most 40 bytes); a route
//! converted once per neighbor brings its own copy, and [`share`] swaps it for the copy the
//! interner already holds. The interner lives in a thread-local: the daemon is one thread
//! and every table of it shares the one set; each test thread has its own.
//!
//! Bound: the interner holds one reference to each body it has seen; bodies only it still
//! holds are dropped whenever the set has doubled since the last sweep, so it never holds
//! more than twice the distinct bodies the tables held at some point.

use std::cell::RefCell;
use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use crate::bgp::flow::FlowInline;
use crate::bgp::mup::MupNlri;
use crate::bgp::mvpn::MvpnNlri;
use crate::bgp::nlri::{Labels, Nlri, VpnLabels};

/// Sweeps start once the set holds this many bodies.
const MIN_SWEEP: usize = 64;

/// One kind of body.
struct Pool<T> {
    set: HashSet<Arc<T>>,
    /// Bodies held after the last sweep.
    swept_at: usize,
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool {
            set: HashSet::new(),
            swept_at: 0,
        }
    }
}

impl<T: Hash + Eq> Pool<T> {
    fn share(&mut self, body: &mut Arc<T>) {
        if let Some(held) = self.set.get(&**body) {
            if !Arc::ptr_eq(held, body) {
                *body = Arc::clone(held);
            }
            return;
        }
        if self.set.len() >= (2 * self.swept_at).max(MIN_SWEEP) {
            self.set.retain(|held| Arc::strong_count(held) > 1);
            self.swept_at = self.set.len();
        }
        self.set.insert(Arc::clone(body));
    }
}

#[derive(Default)]
struct Bodies {
    labels: Pool<Labels>,
    vpn: Pool<VpnLabels>,
    mup: Pool<MupNlri>,
    mvpn: Pool<MvpnNlri>,
    flow: Pool<FlowInline>,
}

thread_local! {
    static BODIES: RefCell<Bodies> = RefCell::new(Bodies::default());
}

/// Makes `nlri` share its body with an equal one already held (routes without such a body
/// are left as they are).
pub(super) fn share(nlri: &mut Nlri) {
    let prefix_only = matches!(
        nlri,
        Nlri::Prefix { .. } | Nlri::Vpls { .. } | Nlri::SrPolicy { .. }
    );
    if prefix_only {
        return;
    }
    BODIES.with_borrow_mut(|bodies| match nlri {
        Nlri::Labeled { labels, .. } => bodies.labels.share(labels),
        Nlri::Vpn { labels, .. } => bodies.vpn.share(labels),
        Nlri::Mup { route, .. } => bodies.mup.share(route),
        Nlri::Mvpn { route, .. } => bodies.mvpn.share(route),
        Nlri::Flow(route) => bodies.flow.share(route),
        Nlri::Prefix { .. } | Nlri::Vpls { .. } | Nlri::SrPolicy { .. } => {}
    });
}

/// Distinct bodies the interner of this thread holds (for tests and stats).
pub fn held() -> usize {
    BODIES.with_borrow(|b| {
        b.labels.set.len() + b.vpn.set.len() + b.mup.set.len() + b.mvpn.set.len() + b.flow.set.len()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::nlri::{Prefix, RouteDistinguisher};
    use std::net::Ipv4Addr;

    fn vpn(i: u8) -> Nlri {
        let labels = Labels::from_values(&[100]).unwrap();
        let prefix = Prefix::v4(Ipv4Addr::new(10, 0, i, 0), 24).unwrap();
        Nlri::vpn(None, labels, RouteDistinguisher::as2(65000, 1), prefix)
    }

    fn body(nlri: &Nlri) -> &VpnLabels {
        match nlri {
            Nlri::Vpn { labels, .. } => labels,
            _ => unreachable!(),
        }
    }

    #[test]
    fn equal_bodies_share_one_allocation() {
        let mut a = vpn(1);
        let mut b = vpn(2);
        assert!(!std::ptr::eq(body(&a), body(&b)));
        share(&mut a);
        share(&mut b);
        assert!(std::ptr::eq(body(&a), body(&b)));
        assert_eq!(b, vpn(2));
    }

    #[test]
    fn bodies_no_table_holds_are_swept() {
        let mut pool: Pool<u32> = Pool::default();
        let mut kept = Vec::new();
        for i in 0..1000u32 {
            let mut body = Arc::new(i);
            pool.share(&mut body);
            if i % 10 == 0 {
                kept.push(body);
            }
        }
        // Swept as it doubled: what is left is what is held plus at most one doubling.
        assert!(
            pool.set.len() <= 2 * kept.len() + MIN_SWEEP,
            "{}",
            pool.set.len()
        );
        for body in &kept {
            assert!(pool.set.contains(body));
        }
    }
}
