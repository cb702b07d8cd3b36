//! The verdict in words: its headline, one sentence per reason and one per
//! change, from the structured [`Verdict`] the analysis decided.

use super::format::{assumption_value, assumption_words, crossing_words, interval_words, labels, pct, usd};
use crate::analysis::{BestCell, Change, Reason, Refusal, Summary, Verdict};

/// One sentence: the answer.
pub fn headline(v: &Verdict) -> String {
    match v.winner() {
        Some(w) => format!(
            "Choose {}: it reaches {} with {} labels per class at the lowest total cost, {} per task.",
            w.strategy,
            pct(v.target_accuracy),
            w.budget_per_class,
            usd(w.total_usd.mean)
        ),
        None => format!(
            "No strategy reaches {} with at most {} labels per class.",
            pct(v.target_accuracy),
            v.label_budget_per_class
        ),
    }
}

/// Why, one sentence per reason.
pub fn reasons(v: &Verdict) -> Vec<String> {
    v.reasons.iter().map(|r| reason(v, r)).collect()
}

/// What would change the answer, one sentence each.
pub fn changes(v: &Verdict) -> Vec<String> {
    v.what_would_change_it.iter().map(|c| change(v, c)).collect()
}

fn interval(s: &Summary, f: fn(f64) -> String) -> String {
    match s.ci95 {
        Some((lo, hi)) => format!("95% CI {}–{}", f(lo), f(hi)),
        None => "a single run, no interval".to_string(),
    }
}

fn best(b: &Option<BestCell>) -> String {
    b.map_or("no completed runs".to_string(), |b| {
        format!(
            "best {} at {} labels per class",
            pct(b.test_accuracy),
            b.budget_per_class
        )
    })
}

fn reason(v: &Verdict, r: &Reason) -> String {
    let (target, budget) = (pct(v.target_accuracy), v.label_budget_per_class);
    match r {
        Reason::WinnerReaches { choice: w } => format!(
            "{} reaches {} test accuracy ({}) with {} labels per class, for a total of {} per task: compute {}, \
             labels {}, model fees {}, pretraining share {}.",
            w.strategy,
            pct(w.test_accuracy.mean),
            interval(&w.test_accuracy, pct),
            w.budget_per_class,
            usd(w.total_usd.mean),
            usd(w.compute_usd),
            usd(w.labels_usd),
            usd(w.model_usd),
            usd(w.pretraining_usd),
        ),
        Reason::AccuracyInterval { clears_target: true } => {
            format!("Its accuracy interval lies above the {target} target: the target is met with 95% confidence.")
        }
        Reason::AccuracyInterval { clears_target: false } => format!(
            "Its mean reaches the {target} target but its 95% interval dips below it: more seeds or one budget step \
             more would make it certain."
        ),
        Reason::RunnerUp {
            strategy,
            budget_per_class,
            total_usd,
            cost_ratio,
            intervals_overlap,
        } => format!(
            "The next cheapest, {strategy}, needs {budget_per_class} labels per class and costs {} ({cost_ratio:.1}x); \
             the 95% intervals of the two costs {}.",
            usd(*total_usd),
            if *intervals_overlap {
                "overlap, so this ranking is not certain"
            } else {
                "do not overlap"
            }
        ),
        Reason::CostShares { labels, compute } => format!(
            "Labels are {:.0}% of its cost and compute {:.0}%.",
            labels * 100.0,
            compute * 100.0
        ),
        Reason::MissesTarget { strategy, best: b } => {
            format!(
                "{strategy} does not reach {target} with at most {budget} labels per class ({}).",
                best(b)
            )
        }
        Reason::NoneReaches => {
            format!("No strategy's mean test accuracy reaches {target} with at most {budget} labels per class.")
        }
        Reason::BestWithin { strategy, best: b } => format!("{strategy}: {}.", best(b)),
    }
}

fn change(v: &Verdict, c: &Change) -> String {
    let target = pct(v.target_accuracy);
    match c {
        Change::LargerBudget {
            budget_per_class,
            strategy,
            crossing,
        } => format!(
            "A label budget of {budget_per_class} labels per class would: {strategy} reaches the target at {}.",
            crossing_words(crossing)
        ),
        Change::BeyondSweep => "No strategy reaches the target within the sweep: extend train.budgets_per_class, \
                                lower target_accuracy, or try another model."
            .to_string(),
        Change::Reaches { strategy, crossing } => match crossing.first_budget() {
            Some(_) => format!("{strategy} reaches {target} at {}.", crossing_words(crossing)),
            None => format!("{strategy} does not reach {target} anywhere in the sweep."),
        },
        Change::BreakEven { tolerance, crossing } => match crossing.labels_per_class() {
            Some(_) => format!(
                "Scratch comes within {:.1} points of the best reuse strategy at {}: beyond that, reuse buys little \
                 accuracy.",
                tolerance * 100.0,
                crossing_words(crossing)
            ),
            None => format!(
                "Scratch stays more than {:.1} points behind the best reuse strategy at every budget of the sweep: \
                 the break-even is beyond it.",
                tolerance * 100.0
            ),
        },
        Change::PretrainingRequired { pretraining_usd } => format!(
            "Without the pretrained backbone the target is out of reach at this budget, so in-house pretraining ({}) \
             is needed whatever the number of tasks sharing it.",
            usd(*pretraining_usd)
        ),
        Change::PretrainingNeverPays { pretraining_usd } => format!(
            "In-house pretraining ({}) never pays at this budget: scratch is cheaper per task even before its share.",
            usd(*pretraining_usd)
        ),
        Change::PretrainingPaysOff {
            pretraining_usd,
            k,
            saving_usd,
            strategy,
            assumed_k,
        } => format!(
            "In-house pretraining ({}) pays for itself from K = {k} task{} reusing the backbone ({} saved per task by \
             {strategy}); this report assumes K = {assumed_k}.",
            usd(*pretraining_usd),
            if *k == 1 { "" } else { "s" },
            usd(*saving_usd),
        ),
        Change::Projected { .. } | Change::NotProjected { .. } => projection_change(v, c),
        Change::Flips {
            assumption,
            value_in_run,
            flips_at,
            new_winner,
        } => format!(
            "If {} were {} instead of {}, {}.",
            assumption_words(*assumption),
            assumption_value(*assumption, *flips_at),
            assumption_value(*assumption, *value_in_run),
            match new_winner {
                Some(s) => format!("{s} would win"),
                None => "no strategy would reach the target within the budget".to_string(),
            }
        ),
    }
}

/// A projected need, or why a strategy is not projected, in words.
fn projection_change(v: &Verdict, c: &Change) -> String {
    let target = pct(v.target_accuracy);
    match c {
        Change::Projected {
            strategy,
            labels_per_class,
            total_usd,
            fitted_on: (lo, hi),
            backtest_abs_error,
        } => format!(
            "Projected, not measured: {strategy} would reach {target} at {} labels per class, by its learning curve \
             fitted on {lo}–{hi} labels per class{}.{}",
            interval_words(labels_per_class, labels),
            total_usd.map_or(String::new(), |t| format!(", for {} per run", interval_words(&t, usd))),
            backtest_abs_error.map_or(String::new(), |e| format!(
                " Fitted without its largest budget, the curve missed that budget by {e:.1} accuracy points."
            )),
        ),
        Change::NotProjected { strategy, reason } => match reason {
            Refusal::TooFewBudgets { budgets } => format!(
                "{strategy} is not projected: {budgets} budget(s) with completed runs, and a learning curve needs two."
            ),
            Refusal::NoTrend { smallest, largest } => format!(
                "{strategy} is not projected: its accuracy does not rise beyond the seeds' noise over the sweep \
                 ({} to {}), so a curve would extrapolate noise.",
                pct(*smallest),
                pct(*largest)
            ),
            Refusal::LevelsOff {
                accuracy,
                accuracy_at_limit,
                limit_per_class,
            } => format!(
                "{strategy} is not projected: its learning curve reaches only {} at {} labels per class (ten times \
                 the largest budget) and levels off at {}, short of {target}.",
                pct(*accuracy_at_limit),
                labels(*limit_per_class),
                pct(*accuracy)
            ),
            Refusal::BeyondRange {
                labels_per_class,
                accuracy_at_limit,
                limit_per_class,
            } => format!(
                "{strategy} is not projected: its learning curve reaches only {} at {} labels per class (ten times \
                 the largest budget) and {target} at about {}, too far beyond the data to trust.",
                pct(*accuracy_at_limit),
                labels(*limit_per_class),
                labels(*labels_per_class)
            ),
        },
        _ => unreachable!("only projection changes are worded here"),
    }
}
