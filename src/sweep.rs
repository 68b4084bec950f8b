//! Parameter sweeps: the points of `--param KEY=SPEC` flags. `sweep.csv` is written by
//! [`crate::output::csv::sweep`], its columns are in [`crate::output::columns`].
//!
//! A spec is a range `a..b` (step 1) or `a..b:step`, inclusive of `b`, of integers (if `a`, `b`
//! and the step are all integers) or decimals; or a comma-separated list of values
//! (`8,32,128`, `random,sticky`). Each point of the sweep is one combination of values, applied
//! as `--set KEY=VALUE` overrides; every point is validated like any scenario before anything
//! runs.

/// Most values one `--param` may take, and most points a sweep may have.
pub const MAX_POINTS: usize = 10_000;

/// One swept key and its values, as text ready for `--set`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Param {
    /// Dotted key, e.g. `servers.count`.
    pub key: String,
    /// Its values in order.
    pub values: Vec<String>,
}

/// Parses one `--param KEY=SPEC`; the error says what is wrong and what is allowed.
pub fn parse_param(text: &str) -> Result<Param, String> {
    let bad = |why: &str| {
        Err(format!(
            "--param {text}: {why}; expected KEY=A..B, KEY=A..B:STEP or KEY=V1,V2,... \
             (e.g. servers.count=2..16:2)"
        ))
    };
    let Some((key, spec)) = text.split_once('=') else {
        return bad("no `=`");
    };
    let (key, spec) = (key.trim(), spec.trim());
    if key.is_empty() || spec.is_empty() {
        return bad("empty key or value");
    }
    let values = match spec.split_once("..") {
        Some((a, rest)) => {
            let (b, step) = rest.split_once(':').unwrap_or((rest, "1"));
            match range(a.trim(), b.trim(), step.trim()) {
                Ok(values) => values,
                Err(why) => return bad(&why),
            }
        }
        None => spec.split(',').map(|v| v.trim().to_string()).collect(),
    };
    if values.iter().any(String::is_empty) {
        return bad("an empty value in the list");
    }
    if values.len() > MAX_POINTS {
        return bad(&format!("more than {MAX_POINTS} values"));
    }
    Ok(Param {
        key: key.to_string(),
        values,
    })
}

fn range(a: &str, b: &str, step: &str) -> Result<Vec<String>, String> {
    if let (Ok(a), Ok(b), Ok(step)) = (a.parse::<i64>(), b.parse::<i64>(), step.parse::<i64>()) {
        if step <= 0 || b < a {
            return Err("a range needs A <= B and a step above 0".into());
        }
        // In i128 the width of any two i64s fits: `b - a` cannot wrap.
        let n = (i128::from(b) - i128::from(a)) / i128::from(step) + 1;
        if n > MAX_POINTS as i128 {
            return Err(format!("more than {MAX_POINTS} values"));
        }
        let (a, step) = (i128::from(a), i128::from(step));
        return Ok((0..n).map(|i| (a + i * step).to_string()).collect());
    }
    let (Ok(a), Ok(b), Ok(step)) = (a.parse::<f64>(), b.parse::<f64>(), step.parse::<f64>()) else {
        return Err("the ends and the step of a range must be numbers".into());
    };
    if !(a.is_finite() && b.is_finite() && step.is_finite()) || step <= 0.0 || b < a {
        return Err("a range needs finite A <= B and a step above 0".into());
    }
    let n = ((b - a) / step + 1e-9).floor() + 1.0;
    if n > MAX_POINTS as f64 {
        return Err(format!("more than {MAX_POINTS} values"));
    }
    // Values are computed from the index, not accumulated, and printed without float noise.
    Ok((0..n as usize)
        .map(|i| format!("{}", round12(a + i as f64 * step)))
        .collect())
}

fn round12(x: f64) -> f64 {
    (x * 1e12).round() / 1e12
}

/// Every combination of the params' values, first param slowest; each point is a list of
/// `KEY=VALUE` overrides. A key swept twice is refused: its column would be written twice and
/// only one of its values would apply.
pub fn points(params: &[Param]) -> Result<Vec<Vec<String>>, String> {
    for (i, p) in params.iter().enumerate() {
        if params[..i].iter().any(|q| q.key == p.key) {
            return Err(format!(
                "--param {}: the key is swept twice; give each key one --param \
                 (e.g. {}=1,2,3 for several values)",
                p.key, p.key
            ));
        }
    }
    let total = params
        .iter()
        .try_fold(1usize, |n, p| n.checked_mul(p.values.len()));
    match total {
        Some(n) if n <= MAX_POINTS => {}
        _ => return Err(format!("the sweep has more than {MAX_POINTS} points")),
    }
    let mut points = vec![Vec::new()];
    for p in params {
        points = points
            .into_iter()
            .flat_map(|point: Vec<String>| {
                p.values.iter().map(move |v| {
                    let mut next = point.clone();
                    next.push(format!("{}={v}", p.key));
                    next
                })
            })
            .collect();
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        parse_param(text).unwrap().values
    }

    #[test]
    fn ranges_and_lists() {
        assert_eq!(values("servers.count=2..5"), ["2", "3", "4", "5"]);
        assert_eq!(values("servers.count=2..16:7"), ["2", "9", "16"]);
        assert_eq!(
            values("users.visits_per_s=0.5..1:0.25"),
            ["0.5", "0.75", "1"]
        );
        assert_eq!(
            values("users.visits_per_s=0.1..0.3:0.1"),
            ["0.1", "0.2", "0.3"]
        );
        assert_eq!(
            values("balancer.policy=random, sticky"),
            ["random", "sticky"]
        );
        assert_eq!(parse_param(" k = 1 ").unwrap().key, "k");
    }

    #[test]
    fn bad_specs_say_what_is_allowed() {
        for bad in [
            "servers.count",
            "servers.count=",
            "=3",
            "k=5..2",
            "k=1..x",
            "k=1..5:0",
            "k=1,,2",
            "k=0..1e9",
            "k=-9223372036854775808..9223372036854775807",
            "k=-1e308..1e308",
        ] {
            let why = parse_param(bad).unwrap_err();
            assert!(why.contains("KEY=A..B"), "{bad}: {why}");
        }
    }

    #[test]
    fn a_range_as_wide_as_i64_is_refused_not_wrapped() {
        let why =
            parse_param("servers.count=-9223372036854775808..9223372036854775807").unwrap_err();
        assert!(why.contains("more than 10000 values"), "{why}");
        assert_eq!(
            values("k=9223372036854775806..9223372036854775807"),
            ["9223372036854775806", "9223372036854775807"]
        );
    }

    #[test]
    fn a_key_swept_twice_is_refused() {
        let p = [
            parse_param("servers.count=1..2").unwrap(),
            parse_param("servers.count=3,4").unwrap(),
        ];
        let why = points(&p).unwrap_err();
        assert!(
            why.contains("--param servers.count: the key is swept twice"),
            "{why}"
        );
    }

    #[test]
    fn points_are_the_product_first_param_slowest() {
        let p = [
            parse_param("a=1..2").unwrap(),
            parse_param("b=x,y").unwrap(),
        ];
        assert_eq!(
            points(&p).unwrap(),
            [
                vec!["a=1", "b=x"],
                vec!["a=1", "b=y"],
                vec!["a=2", "b=x"],
                vec!["a=2", "b=y"]
            ]
        );
    }
}
