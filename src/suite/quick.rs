//! `--quick`: any suite shrunk to a smoke test of itself.

use super::Suite;

impl Suite {
    /// The suite shrunk to a smoke test: the smallest and largest budgets,
    /// two seeds, fewer epochs and a smaller source set. The name gets a
    /// `-quick` suffix so its reports and checkpoint never mix with the full one.
    pub fn quick(&self) -> Suite {
        let mut q = self.clone();
        q.name = format!("{}-quick", self.name);
        let b = &self.train.budgets_per_class;
        let (lo, hi) = (*b.iter().min().unwrap_or(&1), *b.iter().max().unwrap_or(&1));
        q.train.budgets_per_class = if lo == hi {
            vec![lo]
        } else {
            vec![lo, hi.min(lo * 10).max(lo)]
        };
        q.train.seeds.truncate(2);
        q.train.max_epochs = q.train.max_epochs.min(40);
        q.train.patience = q.train.patience.min(8);
        q.pretrain.epochs = q.pretrain.epochs.min(6);
        q.pretrain.patience = q.pretrain.patience.min(2);
        q
    }
}
