# Reference values for clustered (CR1, CR2) and weighted probes.
# Run once from the repository root:  Rscript tests/reference/cluster_weights.R
# Writes blackmore.csv, states.csv and cluster_weights.json (17 significant digits).
# Every conditional effect is obtained by *refitting* lm() with the moderator
# shifted to the probe value (not by a linear combination), and every
# Johnson-Neyman boundary by uniroot() on those refits: an independent path.
source("tests/reference/_json17.R")
suppressMessages({library(sandwich); library(clubSandwich); library(carData)})

bm <- carData::Blackmore          # Davis et al.: exercise histories, 231 girls, 945 rows
bm <- data.frame(subject = as.character(bm$subject), age = bm$age, exercise = bm$exercise,
                 patient = as.numeric(bm$group == "patient"))
write.csv(bm, "tests/reference/blackmore.csv", row.names = FALSE)
st <- data.frame(state = rownames(state.x77), life_exp = state.x77[, "Life Exp"],
                 income = state.x77[, "Income"] / 1000, illiteracy = state.x77[, "Illiteracy"],
                 population = state.x77[, "Population"], region = as.character(state.region))
write.csv(st, "tests/reference/states.csv", row.names = FALSE)

fit_at <- function(d, shift, weighted) {
  d$ws <- d$w - shift
  if (weighted) lm(y ~ x * ws, data = d, weights = wt) else lm(y ~ x * ws, data = d)
}

infer <- function(fit, type, cl) {
  b <- coef(fit)
  if (type == "CR2") {
    ct <- coef_test(fit, vcov = "CR2", cluster = cl, test = "Satterthwaite")
    return(data.frame(estimate = ct$beta, std_error = ct$SE, df = ct$df_Satt, p_value = ct$p_Satt))
  }
  if (type == "CR1") {
    V <- vcovCL(fit, cluster = cl, type = "HC1"); df <- length(unique(cl)) - 1
  } else if (type == "ols") {
    V <- vcov(fit); df <- fit$df.residual
  } else {
    V <- vcovHC(fit, type = type); df <- fit$df.residual
  }
  se <- sqrt(diag(V))
  data.frame(estimate = b, std_error = se, df = df, p_value = 2 * pt(-abs(b / se), df))
}

wald <- function(fit, type, cl, terms) {
  if (type == "CR2") {
    w <- Wald_test(fit, constrain_zero(terms), vcov = "CR2", cluster = cl, test = "HTZ")
    return(list(statistic = w$Fstat, df_num = w$df_num, df_den = w$df_denom, p_value = w$p_val))
  }
  V <- switch(type, CR1 = vcovCL(fit, cluster = cl, type = "HC1"), ols = vcov(fit),
              vcovHC(fit, type = type))
  df2 <- if (type == "CR1") length(unique(cl)) - 1 else fit$df.residual
  b <- coef(fit)[terms]; Q <- drop(t(b) %*% solve(V[terms, terms], b)); q <- length(terms)
  list(statistic = Q / q, df_num = q, df_den = df2, p_value = pf(Q / q, q, df2, lower.tail = FALSE))
}

jn <- function(d, type, cl, weighted, alpha = 0.05) {
  gap <- function(s) {
    r <- infer(fit_at(d, s, weighted), type, cl)[2, ]
    abs(r$estimate / r$std_error) - qt(1 - alpha / 2, r$df)
  }
  grid <- seq(min(d$w), max(d$w), length.out = 401)
  g <- vapply(grid, gap, 0)
  idx <- which(sign(g[-1]) * sign(g[-length(g)]) < 0)
  vapply(idx, function(i) uniroot(gap, c(grid[i], grid[i + 1]), tol = 1e-13)$root, 0)
}

make_case <- function(name, data, y, x, w, type, at, cluster = NULL, weights = NULL) {
  d <- data.frame(y = data[[y]], x = data[[x]], w = data[[w]])
  weighted <- !is.null(weights)
  if (weighted) d$wt <- data[[weights]]
  cl <- if (is.null(cluster)) NULL else data[[cluster]]
  fit <- fit_at(d, 0, weighted)
  co <- infer(fit, type, cl)
  eff <- do.call(rbind, lapply(at, function(s) infer(fit_at(d, s, weighted), type, cl)[2, ]))
  list(name = name, outcome = y, focal = x, moderator = w, se = type,
       cluster = if (is.null(cluster)) NULL else cluster,
       weights = if (weighted) weights else NULL,
       n_clusters = if (is.null(cl)) NULL else length(unique(cl)),
       r2 = summary(fit)$r.squared,
       coefficients = list(estimate = co$estimate, std_error = co$std_error, df = co$df,
                           p_value = co$p_value),
       at = at,
       effects = list(estimate = eff$estimate, std_error = eff$std_error, df = eff$df,
                      p_value = eff$p_value),
       interaction_test = wald(fit, type, cl, "x:ws"),
       joint_test = wald(fit, type, cl, c("x", "x:ws")),
       jn_bounds = jn(d, type, cl, weighted))
}

cases <- list(
  make_case("blackmore_cr1", bm, "exercise", "age", "patient", "CR1", c(0, 1), cluster = "subject"),
  make_case("blackmore_cr2", bm, "exercise", "age", "patient", "CR2", c(0, 1), cluster = "subject"),
  make_case("blackmore_cr2_cont", bm, "exercise", "patient", "age", "CR2", c(10, 12, 14),
            cluster = "subject"),
  make_case("states_cr1", st, "life_exp", "illiteracy", "income", "CR1", c(3.5, 4.5, 5.5),
            cluster = "region"),
  make_case("states_cr2", st, "life_exp", "illiteracy", "income", "CR2", c(3.5, 4.5, 5.5),
            cluster = "region"),
  make_case("states_wls_hc3", st, "life_exp", "illiteracy", "income", "HC3", c(3.5, 4.5, 5.5),
            weights = "population"),
  make_case("states_wls_ols", st, "life_exp", "illiteracy", "income", "ols", c(3.5, 4.5, 5.5),
            weights = "population"),
  make_case("states_wls_cr1", st, "life_exp", "illiteracy", "income", "CR1", c(3.5, 4.5, 5.5),
            cluster = "region", weights = "population"),
  make_case("states_wls_cr2", st, "life_exp", "illiteracy", "income", "CR2", c(3.5, 4.5, 5.5),
            cluster = "region", weights = "population")
)
names(cases) <- vapply(cases, `[[`, "", "name")
write_json17(list(generated_by = "tests/reference/cluster_weights.R",
                  R = R.version.string,
                  sandwich = as.character(packageVersion("sandwich")),
                  clubSandwich = as.character(packageVersion("clubSandwich")),
                  cases = cases), "tests/reference/cluster_weights.json")
