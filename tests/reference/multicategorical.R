# Reference values for multicategorical focal predictors and moderators.
# Run once from the repository root:  Rscript tests/reference/multicategorical.R
# Writes iris.csv, ornstein.csv, chickweight.csv, toothgrowth.csv, states.csv is reused,
# and multicategorical.json (17 significant digits).  R codes the factors itself
# (treatment contrasts, or contr.sum for effect coding); every group slope, pairwise
# difference, contrast at a moderator value and omnibus test comes from refitting lm()
# with another reference level or with the moderator shifted, and the omnibus
# Johnson-Neyman boundaries from uniroot() on those refits.
source("tests/reference/_json17.R")
suppressMessages({library(sandwich); library(clubSandwich); library(carData); library(emmeans)})

ir <- data.frame(sepal_length = iris$Sepal.Length, sepal_width = iris$Sepal.Width,
                 species = as.character(iris$Species))
write.csv(ir, "tests/reference/iris.csv", row.names = FALSE)
orn <- data.frame(interlocks = Ornstein$interlocks, log2_assets = log2(Ornstein$assets),
                  nation = as.character(Ornstein$nation), sector = as.character(Ornstein$sector))
write.csv(orn, "tests/reference/ornstein.csv", row.names = FALSE)
cw <- data.frame(weight = ChickWeight$weight, time = ChickWeight$Time,
                 diet = paste0("diet", as.character(ChickWeight$Diet)),
                 chick = as.character(ChickWeight$Chick))
write.csv(cw, "tests/reference/chickweight.csv", row.names = FALSE)
tg <- data.frame(len = ToothGrowth$len, vc = as.numeric(ToothGrowth$supp == "VC"),
                 dose = ToothGrowth$dose)
write.csv(tg, "tests/reference/toothgrowth.csv", row.names = FALSE)
st <- read.csv("tests/reference/states.csv")
pr <- data.frame(prestige = Prestige$prestige, education = Prestige$education,
                 type = as.character(Prestige$type))
write.csv(pr, "tests/reference/prestige.csv", row.names = FALSE, na = "")
pr <- na.omit(pr)

vcov_of <- function(fit, type, cl) switch(type, ols = vcov(fit), CR1 = vcovCL(fit, cluster = cl, type = "HC1"),
                                          CR2 = vcovCR(fit, cluster = cl, type = "CR2"),
                                          vcovHC(fit, type = type))

infer <- function(fit, type, cl, idx) {
  b <- coef(fit)
  if (type == "CR2") {
    ct <- coef_test(fit, vcov = "CR2", cluster = cl, test = "Satterthwaite")[idx, ]
    return(data.frame(estimate = ct$beta, std_error = ct$SE, df = ct$df_Satt, p_value = ct$p_Satt))
  }
  V <- vcov_of(fit, type, cl)
  df <- if (type == "CR1") length(unique(cl)) - 1 else fit$df.residual
  se <- sqrt(diag(V))[idx]
  data.frame(estimate = b[idx], std_error = se, df = df, p_value = 2 * pt(-abs(b[idx] / se), df))
}

wald <- function(fit, type, cl, idx) {
  if (type == "CR2") {
    w <- Wald_test(fit, constrain_zero(idx), vcov = "CR2", cluster = cl, test = "HTZ")
    return(list(statistic = w$Fstat, df_num = w$df_num, df_den = w$df_denom, p_value = w$p_val))
  }
  V <- vcov_of(fit, type, cl)
  df2 <- if (type == "CR1") length(unique(cl)) - 1 else fit$df.residual
  b <- coef(fit)[idx]; Q <- drop(t(b) %*% solve(V[idx, idx], b)); q <- length(idx)
  list(statistic = Q / q, df_num = q, df_den = df2, p_value = pf(Q / q, q, df2, lower.tail = FALSE))
}

fit_lm <- function(d, weighted) if (weighted) lm(y ~ x * w, data = d, weights = wt) else lm(y ~ x * w, data = d)
rows <- function(lst) lapply(c("estimate", "std_error", "df", "p_value"),
                             function(k) vapply(lst, function(r) r[[k]], 0)) |>
  setNames(c("estimate", "std_error", "df", "p_value"))

# Continuous (or 0/1) X, categorical W with levels in `levels` (first = reference).
moderator_case <- function(name, data, y, x, w, type, levels, cluster = NULL, weights = NULL,
                           effect = FALSE) {
  d <- data.frame(y = data[[y]], x = data[[x]], w0 = as.character(data[[w]]))
  weighted <- !is.null(weights); if (weighted) d$wt <- data[[weights]]
  cl <- if (is.null(cluster)) NULL else data[[cluster]]
  with_ref <- function(ref) { d$w <- factor(d$w0, levels = c(ref, setdiff(levels, ref))); fit_lm(d, weighted) }
  d$w <- factor(d$w0, levels = levels)
  if (effect) contrasts(d$w) <- contr.sum(length(levels))   # last level coded -1
  fit <- fit_lm(d, weighted)
  g <- length(levels); inter <- (g + 2):(2 * g)
  d0 <- d; d0$w <- factor(d0$w0, levels = levels)
  reduced <- if (weighted) lm(y ~ x + w, data = d0, weights = wt) else lm(y ~ x + w, data = d0)
  slopes <- lapply(levels, function(l) infer(with_ref(l), type, cl, 2))
  pairs <- list(); labels <- character(0)
  for (i in seq_len(g - 1)) for (j in (i + 1):g) {
    f <- with_ref(levels[j]); nm <- paste0("x:w", levels[i])
    pairs[[length(pairs) + 1]] <- infer(f, type, cl, nm)
    labels <- c(labels, paste(levels[i], "-", levels[j]))
  }
  em <- summary(emtrends(fit, ~ w, var = "x", vcov. = as.matrix(vcov_of(fit, type, cl))),
                infer = TRUE)
  list(name = name, kind = "moderator", outcome = y, focal = x, moderator = w, se = type,
       levels = levels, coding = if (effect) "effect" else "indicator",
       cluster = cluster, weights = weights, r2 = summary(fit)$r.squared,
       r2_change = summary(fit)$r.squared - summary(reduced)$r.squared,
       coefficients = rows(lapply(seq_along(coef(fit)), function(i) infer(fit, type, cl, i))),
       omnibus_interaction = wald(fit, type, cl, names(coef(fit))[inter]),
       group_effects = rows(slopes), pairwise_labels = labels, pairwise = rows(pairs),
       emtrends_estimate = em[[2]], emtrends_se = em$SE)
}

# Categorical X (levels, first = reference), continuous W.
focal_case <- function(name, data, y, x, w, type, levels, at, cluster = NULL, weights = NULL,
                       alpha = 0.05) {
  d <- data.frame(y = data[[y]], x = factor(as.character(data[[x]]), levels = levels), w = data[[w]])
  weighted <- !is.null(weights); if (weighted) d$wt <- data[[weights]]
  cl <- if (is.null(cluster)) NULL else data[[cluster]]
  g <- length(levels); xi <- 2:g
  shifted <- function(s) { e <- d; e$w <- d$w - s; fit_lm(e, weighted) }
  fit <- shifted(0)
  reduced <- if (weighted) lm(y ~ x + w, data = d, weights = wt) else lm(y ~ x + w, data = d)
  contrasts_at <- lapply(at, function(s) rows(lapply(xi, function(i) infer(shifted(s), type, cl, i))))
  omnibus_at <- lapply(at, function(s) wald(shifted(s), type, cl, names(coef(fit))[xi]))
  gap <- function(s) { r <- wald(shifted(s), type, cl, names(coef(fit))[xi])
                       r$statistic - qf(1 - alpha, r$df_num, r$df_den) }
  grid <- seq(min(d$w), max(d$w), length.out = 201)
  gv <- vapply(grid, gap, 0)
  idx <- which(sign(gv[-1]) * sign(gv[-length(gv)]) < 0)
  jn <- vapply(idx, function(i) uniroot(gap, c(grid[i], grid[i + 1]), tol = 1e-13)$root, 0)
  list(name = name, kind = "focal", outcome = y, focal = x, moderator = w, se = type,
       levels = levels, coding = "indicator", cluster = cluster, weights = weights,
       r2 = summary(fit)$r.squared, r2_change = summary(fit)$r.squared - summary(reduced)$r.squared,
       coefficients = rows(lapply(seq_along(coef(fit)), function(i) infer(fit, type, cl, i))),
       omnibus_interaction = wald(fit, type, cl, names(coef(fit))[(g + 2):(2 * g)]),
       at = at, contrasts_at = contrasts_at, omnibus_at = omnibus_at, omnibus_jn = jn)
}

sp <- c("setosa", "versicolor", "virginica")
cases <- list(
  moderator_case("iris_moderator_ols", ir, "sepal_length", "sepal_width", "species", "ols", sp),
  moderator_case("iris_moderator_hc3", ir, "sepal_length", "sepal_width", "species", "HC3", sp),
  moderator_case("iris_moderator_effect", ir, "sepal_length", "sepal_width", "species", "ols",
                 c("setosa", "versicolor", "virginica"), effect = TRUE),
  moderator_case("ornstein_moderator_cr2", orn, "interlocks", "log2_assets", "nation", "CR2",
                 c("CAN", "OTH", "UK", "US"), cluster = "sector"),
  moderator_case("ornstein_moderator_cr1", orn, "interlocks", "log2_assets", "nation", "CR1",
                 c("CAN", "OTH", "UK", "US"), cluster = "sector"),
  moderator_case("toothgrowth_numeric_codes", tg, "len", "vc", "dose", "ols", c("0.5", "1", "2")),
  moderator_case("states_region_wls_hc3", st, "life_exp", "illiteracy", "region", "HC3",
                 c("North Central", "Northeast", "South", "West"), weights = "population"),
  focal_case("iris_focal_ols", ir, "sepal_length", "species", "sepal_width", "ols", sp,
             c(2.8, 3.0, 3.3)),
  focal_case("iris_focal_hc3", ir, "sepal_length", "species", "sepal_width", "HC3", sp,
             c(2.8, 3.0, 3.3)),
  focal_case("prestige_focal_ols", pr, "prestige", "type", "education", "ols",
             c("bc", "prof", "wc"), c(8, 10, 12)),
  focal_case("prestige_focal_hc3", pr, "prestige", "type", "education", "HC3",
             c("bc", "prof", "wc"), c(8, 10, 12)),
  focal_case("chick_focal_cr2", cw, "weight", "diet", "time", "CR2",
             c("diet1", "diet2", "diet3", "diet4"), c(2, 10, 20), cluster = "chick")
)
names(cases) <- vapply(cases, `[[`, "", "name")
write_json17(list(generated_by = "tests/reference/multicategorical.R", R = R.version.string,
                  sandwich = as.character(packageVersion("sandwich")),
                  clubSandwich = as.character(packageVersion("clubSandwich")),
                  emmeans = as.character(packageVersion("emmeans")),
                  cases = cases), "tests/reference/multicategorical.json")
