# Reference values for two moderators: PROCESS Model 2 (X*W + X*Z) and Model 3 (X*W*Z).
# Run once from the repository root:  Rscript tests/reference/two_moderators.R
# Writes co2.csv, prestige3.csv, states2.csv and two_moderators.json (17 significant
# digits).  Every conditional effect is the coefficient of x in an lm() refit with W and
# Z shifted to the probe values; the conditional X*W interaction at z is the x:w
# coefficient of a refit with Z shifted, and its Johnson-Neyman boundaries come from
# uniroot() on those refits.
source("tests/reference/_json17.R")
suppressMessages({library(sandwich); library(clubSandwich); library(carData)})

co2 <- data.frame(uptake = CO2$uptake, log_conc = log(CO2$conc),
                  quebec = as.numeric(CO2$Type == "Quebec"),
                  chilled = as.numeric(CO2$Treatment == "chilled"), plant = as.character(CO2$Plant))
write.csv(co2, "tests/reference/co2.csv", row.names = FALSE)
pr <- na.omit(data.frame(prestige = Prestige$prestige, income = Prestige$income / 1000,
                         education = Prestige$education, women = Prestige$women))
write.csv(pr, "tests/reference/prestige3.csv", row.names = FALSE)
st <- data.frame(life_exp = state.x77[, "Life Exp"], illiteracy = state.x77[, "Illiteracy"],
                 income = state.x77[, "Income"] / 1000, murder = state.x77[, "Murder"],
                 population = state.x77[, "Population"], region = as.character(state.region))
write.csv(st, "tests/reference/states2.csv", row.names = FALSE)

infer <- function(fit, type, cl, idx) {
  b <- coef(fit)
  if (type == "CR2") {
    ct <- coef_test(fit, vcov = "CR2", cluster = cl, test = "Satterthwaite")[idx, ]
    return(data.frame(estimate = ct$beta, std_error = ct$SE, df = ct$df_Satt, p_value = ct$p_Satt))
  }
  V <- switch(type, ols = vcov(fit), CR1 = vcovCL(fit, cluster = cl, type = "HC1"),
              vcovHC(fit, type = type))
  df <- if (type == "CR1") length(unique(cl)) - 1 else fit$df.residual
  se <- sqrt(diag(V))[idx]
  data.frame(estimate = b[idx], std_error = se, df = df, p_value = 2 * pt(-abs(b[idx] / se), df))
}
wald <- function(fit, type, cl, idx) {
  if (type == "CR2") {
    w <- Wald_test(fit, constrain_zero(idx), vcov = "CR2", cluster = cl, test = "HTZ")
    return(list(statistic = w$Fstat, df_num = w$df_num, df_den = w$df_denom, p_value = w$p_val))
  }
  V <- switch(type, ols = vcov(fit), CR1 = vcovCL(fit, cluster = cl, type = "HC1"),
              vcovHC(fit, type = type))
  df2 <- if (type == "CR1") length(unique(cl)) - 1 else fit$df.residual
  b <- coef(fit)[idx]; Q <- drop(t(b) %*% solve(V[idx, idx, drop = FALSE], b)); q <- length(idx)
  list(statistic = Q / q, df_num = q, df_den = df2, p_value = pf(Q / q, q, df2, lower.tail = FALSE))
}
rows <- function(lst) setNames(lapply(c("estimate", "std_error", "df", "p_value"),
                                      function(k) vapply(lst, function(r) r[[k]], 0)),
                               c("estimate", "std_error", "df", "p_value"))

two_case <- function(name, data, y, x, w, z, model, type, w_at, z_at, cluster = NULL,
                     weights = NULL, alpha = 0.05) {
  d <- data.frame(y = data[[y]], x = data[[x]], w = data[[w]], z = data[[z]])
  weighted <- !is.null(weights); if (weighted) d$wt <- data[[weights]]
  cl <- if (is.null(cluster)) NULL else data[[cluster]]
  form <- if (model == 2) y ~ x + ws + zs + x:ws + x:zs else y ~ x * ws * zs
  fit_at <- function(w0, z0) {
    e <- d; e$ws <- d$w - w0; e$zs <- d$z - z0
    if (weighted) lm(form, data = e, weights = wt) else lm(form, data = e)
  }
  r2 <- function(f) summary(f)$r.squared
  fit <- fit_at(0, 0)
  drop_fit <- function(terms) {
    e <- d; e$ws <- d$w; e$zs <- d$z
    f <- update(form, as.formula(paste(". ~ . -", paste(terms, collapse = " - "))))
    if (weighted) lm(f, data = e, weights = wt) else lm(f, data = e)
  }
  grid <- expand.grid(z = z_at, w = w_at)[, c("w", "z")]
  effects <- rows(lapply(seq_len(nrow(grid)), function(i)
    infer(fit_at(grid$w[i], grid$z[i]), type, cl, "x")))
  out <- list(name = name, model = model, outcome = y, focal = x, moderator = w, moderator2 = z,
              se = type, cluster = cluster, weights = weights, r2 = r2(fit),
              coefficients = rows(lapply(seq_along(coef(fit)), function(i) infer(fit, type, cl, i))),
              grid_w = grid$w, grid_z = grid$z, effects = effects)
  if (model == 2) {
    out$tests <- list(xw = c(wald(fit, type, cl, "x:ws"), r2_change = r2(fit) - r2(drop_fit("x:ws"))),
                      xz = c(wald(fit, type, cl, "x:zs"), r2_change = r2(fit) - r2(drop_fit("x:zs"))),
                      both = c(wald(fit, type, cl, c("x:ws", "x:zs")),
                               r2_change = r2(fit) - r2(drop_fit(c("x:ws", "x:zs")))))
  } else {
    out$tests <- list(xwz = c(wald(fit, type, cl, "x:ws:zs"),
                              r2_change = r2(fit) - r2(drop_fit("x:ws:zs"))))
    out$index_mm <- infer(fit, type, cl, "x:ws:zs")
    cond <- function(z0) infer(fit_at(0, z0), type, cl, "x:ws")
    out$conditional_interaction <- rows(lapply(z_at, cond))
    if (length(unique(d$z)) > 2) {
      gap <- function(s) { r <- cond(s); abs(r$estimate / r$std_error) - qt(1 - alpha / 2, r$df) }
      g <- seq(min(d$z), max(d$z), length.out = 201); v <- vapply(g, gap, 0)
      idx <- which(sign(v[-1]) * sign(v[-length(v)]) < 0)
      out$interaction_jn <- vapply(idx, function(i) uniroot(gap, c(g[i], g[i + 1]), tol = 1e-13)$root, 0)
    }
  }
  out
}

cases <- list(
  two_case("prestige_model3_ols", pr, "prestige", "income", "education", "women", 3, "ols",
           c(8, 11, 14), c(5, 20, 50)),
  two_case("prestige_model3_hc3", pr, "prestige", "income", "education", "women", 3, "HC3",
           c(8, 11, 14), c(5, 20, 50)),
  two_case("prestige_model2_ols", pr, "prestige", "income", "education", "women", 2, "ols",
           c(8, 11, 14), c(5, 20, 50)),
  two_case("co2_model3_cr2", co2, "uptake", "log_conc", "quebec", "chilled", 3, "CR2",
           c(0, 1), c(0, 1), cluster = "plant"),
  two_case("co2_model2_cr1", co2, "uptake", "log_conc", "quebec", "chilled", 2, "CR1",
           c(0, 1), c(0, 1), cluster = "plant"),
  two_case("states_model2_wls_cr2", st, "life_exp", "illiteracy", "income", "murder", 2, "CR2",
           c(3.8, 4.5), c(4, 10), cluster = "region", weights = "population"),
  two_case("states_model3_wls_hc3", st, "life_exp", "illiteracy", "income", "murder", 3, "HC3",
           c(3.8, 4.5), c(4, 10), weights = "population")
)
names(cases) <- vapply(cases, `[[`, "", "name")
write_json17(list(generated_by = "tests/reference/two_moderators.R", R = R.version.string,
                  sandwich = as.character(packageVersion("sandwich")),
                  clubSandwich = as.character(packageVersion("clubSandwich")),
                  cases = cases), "tests/reference/two_moderators.json")
